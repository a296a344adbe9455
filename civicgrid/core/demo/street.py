"""Builds the demo street (九江街道: 10 communities, 98 grids, ~30,000 residents) or a district for benchmarks.

Deterministic for a given seed: every random choice comes from one `random.Random(seed)`. Rows are written with
bulk_create inside one transaction, so the street takes seconds on SQLite.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import shapely
from django.contrib.auth.hashers import make_password
from django.db import transaction
from shapely.geometry import Polygon

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.choices import ServicePlaceKind
from civicgrid.areas.models import Community, Grid, MicroGrid, ServicePlace, Street
from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.core.validators import make_id_number
from civicgrid.party.models import PartyMember, PartyOrganisation
from civicgrid.people.choices import BuildingKind, Gender, HouseUse, Relation, ResidentKind, UnitKind
from civicgrid.people.models import Building, CareTag, House, Household, Resident, Unit
from civicgrid.responders.choices import ResponderKind
from civicgrid.responders.models import Responder

from . import names

DEMO_PASSWORD = "civicgrid-demo-2026"
TODAY = date(2026, 11, 1)  # fixed, so that ages and care groups do not drift with the clock


@dataclass(frozen=True)
class Scale:
    streets: int
    communities_per_street: int
    grids: int  # in all
    households_per_grid: tuple[int, int]
    stewards_per_grid: int


SCALES = {
    "street": Scale(streets=1, communities_per_street=10, grids=98, households_per_grid=(80, 145), stewards_per_grid=3),
    "district": Scale(
        streets=12, communities_per_street=16, grids=1700, households_per_grid=(180, 260), stewards_per_grid=2
    ),
    # Small enough for tests: 2 communities, 6 grids, a few hundred residents.
    "tiny": Scale(streets=1, communities_per_street=2, grids=6, households_per_grid=(12, 18), stewards_per_grid=2),
}


@dataclass
class Stats:
    streets: int = 0
    communities: int = 0
    grids: int = 0
    buildings: int = 0
    houses: int = 0
    households: int = 0
    residents: int = 0
    units: int = 0
    users: int = 0
    extra: dict[str, int] = field(default_factory=dict)


class DemoBuilder:
    def __init__(
        self,
        seed: int = 2026,
        scale: str = "street",
        origin: tuple[float, float] = (103.88, 30.55),
        cases: bool | None = None,
    ) -> None:
        """`cases`: also create a year of case history (default: for the street only; tiny and district skip it)."""
        self.rng = random.Random(seed)
        self.with_cases = scale == "street" if cases is None else cases
        self.scale = SCALES[scale]
        self.scale_name = scale
        self.origin = origin
        self.stats = Stats()
        self.password_hash = make_password(DEMO_PASSWORD)  # hashed once: demo accounts share one password
        self.care = {t.code: t for t in CareTag.objects.all()}
        self.id_seq = 0
        self.addresses: set[str] = set()  # standard addresses handed out so far (they are unique)

    # --- geometry ---------------------------------------------------------------------------------
    def lattice(self, cols: int, rows: int, cell: float) -> list[list[tuple[float, float]]]:
        """A jittered grid of quadrilaterals sharing their corners and edge midpoints: no overlaps, no gaps."""
        x0, y0 = self.origin
        r = self.rng
        corners = [
            [
                (
                    x0 + i * cell + r.uniform(-0.18, 0.18) * cell * (0 < i < cols),
                    y0 + j * cell + r.uniform(-0.18, 0.18) * cell * (0 < j < rows),
                )
                for j in range(rows + 1)
            ]
            for i in range(cols + 1)
        ]

        def mid(a: tuple[float, float], b: tuple[float, float], inner: bool) -> tuple[float, float]:
            (ax, ay), (bx, by) = a, b
            k = r.uniform(-0.08, 0.08) * cell if inner else 0.0
            # push the midpoint perpendicular to the edge
            dx, dy = bx - ax, by - ay
            length = (dx * dx + dy * dy) ** 0.5 or 1.0
            return ((ax + bx) / 2 - dy / length * k, (ay + by) / 2 + dx / length * k)

        h_mid = {
            (i, j): mid(corners[i][j], corners[i + 1][j], 0 < j < rows) for i in range(cols) for j in range(rows + 1)
        }
        v_mid = {
            (i, j): mid(corners[i][j], corners[i][j + 1], 0 < i < cols) for i in range(cols + 1) for j in range(rows)
        }
        cells: list[list[tuple[float, float]]] = []
        # Column-wise snake order, so that consecutive cells (one community) are neighbours.
        for i in range(cols):
            js = range(rows) if i % 2 == 0 else range(rows - 1, -1, -1)
            for j in js:
                ring = [
                    corners[i][j],
                    h_mid[(i, j)],
                    corners[i + 1][j],
                    v_mid[(i + 1, j)],
                    corners[i + 1][j + 1],
                    h_mid[(i, j + 1)],
                    corners[i][j + 1],
                    v_mid[(i, j)],
                    corners[i][j],
                ]
                cells.append([(round(x, 6), round(y, 6)) for x, y in ring])
        return cells

    def random_points_in(self, poly: Polygon, n: int) -> list[tuple[float, float]]:
        minx, miny, maxx, maxy = poly.bounds
        out: list[tuple[float, float]] = []
        shrunk = poly.buffer(-(maxx - minx) * 0.05)
        while len(out) < n:
            xs = np.array([self.rng.uniform(minx, maxx) for _ in range(n * 2)])
            ys = np.array([self.rng.uniform(miny, maxy) for _ in range(n * 2)])
            inside = shapely.contains_xy(shrunk, xs, ys)
            out.extend((round(float(x), 6), round(float(y), 6)) for x, y in zip(xs[inside], ys[inside], strict=True))
        return out[:n]

    # --- people -----------------------------------------------------------------------------------
    def given_name(self, gender: str, born: date) -> str:
        pool = names.GIVEN_MALE if gender == Gender.MALE else names.GIVEN_FEMALE
        if born.year < 1960 and self.rng.random() < 0.6:
            pool = names.ELDER_GIVEN + pool
        n = 1 if self.rng.random() < 0.35 else 2
        return "".join(self.rng.choice(pool) for _ in range(n))

    def surname(self) -> str:
        # Skewed towards the common surnames at the front of the list.
        idx = int(len(names.SURNAMES) * (self.rng.random() ** 2.2))
        return names.SURNAMES[idx]

    def phone(self) -> str:
        prefix = self.rng.choice(
            [
                "138",
                "139",
                "135",
                "136",
                "137",
                "150",
                "151",
                "152",
                "158",
                "159",
                "180",
                "181",
                "187",
                "188",
                "199",
                "177",
            ]
        )
        return prefix + f"{self.rng.randrange(10**8):08d}"

    def birth(self, age_lo: int, age_hi: int) -> date:
        age_days = self.rng.randint(age_lo * 365, age_hi * 365 + 364)
        return TODAY - timedelta(days=age_days)

    def id_number(self, region: str, born: date, gender: str) -> str:
        self.id_seq += 1
        seq = (self.id_seq * 7) % 500 * 2 + (1 if gender == Gender.MALE else 0)
        return make_id_number(region, born, seq)

    # --- build ------------------------------------------------------------------------------------
    @transaction.atomic
    def build(self) -> Stats:
        sc = self.scale
        total_communities = sc.streets * sc.communities_per_street
        rows = 7 if sc.grids <= 200 else 34
        cols = -(-sc.grids // rows)
        cell = 0.0072 if sc.grids <= 200 else 0.006
        cells = self.lattice(cols, rows, cell)[: sc.grids]
        # Split the snake of cells into communities of near-equal, contiguous runs.
        sizes = [
            sc.grids // total_communities + (1 if k < sc.grids % total_communities else 0)
            for k in range(total_communities)
        ]
        sizes.sort(reverse=True)

        pending_users: list[User] = []
        cell_iter = iter(cells)
        community_index = 0
        for s in range(sc.streets):
            street_code = f"510116{4 + s:03d}"
            street = Street.objects.create(
                code=street_code,
                name="九江街道" if s == 0 else f"第{s + 1}街道",
                district="双流区",
                city="成都市",
            )
            self.stats.streets += 1
            pending_users.append(
                self.user(
                    f"admin{'' if s == 0 else s + 1}" if sc.streets > 1 else "jj_admin",
                    "街道负责人" if s == 0 else f"街道{s + 1}负责人",
                    Role.STREET_ADMIN,
                    street=street,
                )
            )
            if s == 0 and sc.streets == 1:
                pending_users.append(self.user("jj_admin2", "街道网格办", Role.STREET_ADMIN, street=street))
            responders = self.street_responders(street)
            for c in range(sc.communities_per_street):
                size = sizes[community_index]
                community_index += 1
                if s == 0 and c < len(names.COMMUNITIES):
                    cname, slug, kind = names.COMMUNITIES[c]
                else:
                    cname, slug, kind = f"第{community_index}社区", f"c{community_index}", "urban" if c % 3 else "rural"
                community = Community.objects.create(
                    street=street,
                    code=f"{street_code}{c + 1:03d}",
                    name=cname,
                    kind=kind,
                    address=f"{street.district}{street.name}{self.rng.choice(names.ROADS)}{self.rng.randint(1, 300)}号",
                    phone=f"028-8{self.rng.randrange(10**6, 10**7)}",
                )
                self.stats.communities += 1
                pending_users.append(
                    self.user(f"{slug}_staff", f"{cname}书记", Role.COMMUNITY_STAFF, street=street, community=community)
                )
                pending_users.append(
                    self.user(
                        f"{slug}_staff2", f"{cname}社工", Role.COMMUNITY_STAFF, street=street, community=community
                    )
                )
                property_unit = Responder.objects.create(
                    street=street,
                    name=f"{cname[:-2]}物业服务有限公司",
                    kind=ResponderKind.PROPERTY,
                    contact_name="物业客服",
                    contact_phone="028-8" + f"{self.rng.randrange(10**6, 10**7)}",
                )
                property_unit.communities.add(community)
                responders.append(property_unit)
                ServicePlace.objects.create(
                    community=community,
                    name=f"{cname}党群服务中心",
                    kind=ServicePlaceKind.SERVICE_CENTRE,
                    address=community.address,
                    opening_hours="周一至周五 9:00-12:00, 13:30-17:30；周六 9:00-12:00",
                    services="政务代办、证明开具、老年人服务、议事协商、志愿者登记",
                )
                for g in range(size):
                    self.build_grid(street, community, slug, g + 1, next(cell_iter), pending_users)
            for unit in responders:
                pending_users.append(
                    self.user(f"resp_{unit.pk}", f"{unit.name}接单员", Role.RESPONDER, street=street, responder=unit)
                )
        User.objects.bulk_create(pending_users, batch_size=1000)
        self.stats.users += len(pending_users)
        self.set_grid_leaders()
        self.demo_resident()
        User.objects.create(
            username="merchant_demo",
            display_name="万家便利店",
            role=Role.MERCHANT,
            street=Street.objects.order_by("id").first(),
            password=self.password_hash,
        )
        self.stats.users += 1
        if self.with_cases:
            from civicgrid.cases.demo import seed_cases

            self.stats.extra.update(seed_cases(self.rng))
        if self.scale_name == "street":
            from civicgrid.fieldwork.demo import seed_fieldwork  # patrols, visits, fire safety, disputes

            self.stats.extra.update(seed_fieldwork(self.rng))
        record(None, "demo.seed", None, target_type="demo", after={"scale": self.scale_name, **self.stats.__dict__})
        return self.stats

    def user(self, username: str, display: str, role: str, **area: Any) -> User:
        u = User(username=username, display_name=display, role=role, password=self.password_hash, **area)
        sealed = crypto.seal_phone(self.phone())
        u.phone_cipher, u.phone_digest, u.phone_masked = sealed.cipher, sealed.digest, sealed.masked
        return u

    def street_responders(self, street: Street) -> list[Responder]:
        units = [
            ("九江街道环卫所", ResponderKind.SANITATION),
            ("双流区自来水公司九江营业所", ResponderKind.WATER),
            ("国网双流供电中心九江供电所", ResponderKind.POWER),
            ("双流燃气九江服务站", ResponderKind.GAS_COMPANY),
            ("九江街道社区发展办", ResponderKind.COMMUNITY),
            ("九江街道综合执法中队", ResponderKind.URBAN_MANAGEMENT),
            ("九江街道园林绿化站", ResponderKind.LANDSCAPING),
            ("双流交警九江中队", ResponderKind.TRAFFIC_POLICE),
            ("九江派出所", ResponderKind.POLICE),
            ("九江街道规划建设办", ResponderKind.HOUSING),
            ("九江街道市政维护站", ResponderKind.MUNICIPAL),
            ("九江街道劳动保障所", ResponderKind.HUMAN_RESOURCES),
            ("九江街道民政办", ResponderKind.CIVIL_AFFAIRS),
            ("九江街道残联", ResponderKind.DISABLED_FEDERATION),
        ]
        prefix = street.name[:-2]
        created = Responder.objects.bulk_create(
            [
                Responder(
                    street=street,
                    name=n.replace("九江", prefix),
                    kind=k,
                    contact_name="值班员",
                    contact_phone=f"028-8{self.rng.randrange(10**6, 10**7)}",
                )
                for n, k in units
            ]
        )
        return list(created)

    def build_grid(
        self,
        street: Street,
        community: Community,
        slug: str,
        seq: int,
        ring: list[tuple[float, float]],
        users: list[User],
    ) -> None:
        rng = self.rng
        poly = Polygon(ring)
        grid = Grid.objects.create(
            community=community,
            code=f"{community.code}{seq:02d}",
            seq=seq,
            name=f"第{_cn_number(seq)}网格",
            boundary={"type": "Polygon", "coordinates": [[list(p) for p in ring]]},
        )
        self.stats.grids += 1
        users.append(
            self.user(
                f"{slug}{seq:02d}_leader",
                f"{grid.name}网格长",
                Role.GRID_LEADER,
                street=street,
                community=community,
                grid=grid,
            )
        )
        users.append(
            self.user(
                f"{slug}{seq:02d}_worker",
                f"{self.surname()}{self.given_name(Gender.FEMALE, date(1990, 1, 1))}",
                Role.GRID_WORKER,
                street=street,
                community=community,
                grid=grid,
            )
        )
        for k in range(self.scale.stewards_per_grid):
            gender = Gender.FEMALE if rng.random() < 0.6 else Gender.MALE
            users.append(
                self.user(
                    f"{slug}{seq:02d}_steward{k + 1}",
                    self.surname() + self.given_name(gender, date(1960, 1, 1)),
                    Role.STEWARD,
                    street=street,
                    community=community,
                    grid=grid,
                )
            )

        rural = community.kind == "rural"
        target = rng.randint(*self.scale.households_per_grid)
        # Buildings and houses: urban estates of blocks with flats; rural groups of single houses.
        buildings: list[Building] = []
        house_plan: list[tuple[int, str]] = []  # (building index, room)
        road = rng.choice(names.ROADS)
        estate = rng.choice(names.ESTATES)
        if rural:
            n_buildings = target + rng.randint(2, 8)
            for b in range(n_buildings):
                group = b // 25 + 1
                buildings.append(
                    Building(
                        grid=grid,
                        code=f"{grid.code}-{b + 1:03d}",
                        name=f"{group}组{b % 25 + 1}号",
                        address=f"{street.district}{street.name}{community.name}{seq}网格{group}组{b % 25 + 1}号",
                        kind=BuildingKind.RURAL_HOUSE,
                        floors=rng.choice([1, 2, 3]),
                    )
                )
                house_plan.append((b, "1"))
        else:
            b = 0
            while len(house_plan) < target * 1.06:
                floors = rng.choice([6, 7, 11, 18, 24])
                per_floor = rng.choice([2, 2, 4])
                number = rng.randint(1, 400)
                address = f"{street.district}{street.name}{road}{number}号{estate}{b + 1}栋"
                # Two grids of a district can draw the same road, estate and door number: take the next free
                # number. No extra random draw, so a seed without collisions (the demo street) builds what it did.
                while address in self.addresses:
                    number += 1
                    address = f"{street.district}{street.name}{road}{number}号{estate}{b + 1}栋"
                self.addresses.add(address)
                buildings.append(
                    Building(
                        grid=grid,
                        code=f"{grid.code}-{b + 1:03d}",
                        name=f"{estate}{b + 1}栋",
                        address=address,
                        kind=BuildingKind.RESIDENTIAL if rng.random() > 0.15 else BuildingKind.MIXED,
                        floors=floors,
                    )
                )
                for f in range(1, floors + 1):
                    for r in range(1, per_floor + 1):
                        house_plan.append((b, f"{f}{r:02d}"))
                b += 1
        points = self.random_points_in(poly, len(buildings))
        for bld, (x, y) in zip(buildings, points, strict=True):
            bld.lng, bld.lat = x, y
        # Micro-grids: one per three urban blocks.
        if not rural and len(buildings) >= 3:
            micro = MicroGrid.objects.bulk_create(
                [
                    MicroGrid(
                        grid=grid,
                        code=f"{grid.code}-M{m + 1}",
                        name=f"{estate}{m * 3 + 1}-{m * 3 + 3}栋微网格",
                        leader_name=self.surname() + self.given_name(Gender.FEMALE, date(1965, 1, 1)),
                    )
                    for m in range((len(buildings) + 2) // 3)
                ]
            )
            for i, bld in enumerate(buildings):
                bld.micro_grid = micro[i // 3]
        Building.objects.bulk_create(buildings)
        self.stats.buildings += len(buildings)

        rng.shuffle(house_plan)
        occupied = house_plan[:target]
        vacant = house_plan[target:]
        houses = [
            House(
                building=buildings[bi],
                room=room,
                use=HouseUse.RENTED if rng.random() < 0.22 else HouseUse.OWNED,
                area_m2=rng.randint(45, 140),
            )
            for bi, room in occupied
        ]
        houses += [
            House(building=buildings[bi], room=room, use=HouseUse.VACANT, area_m2=rng.randint(45, 140))
            for bi, room in vacant
        ]
        House.objects.bulk_create(houses)
        self.stats.houses += len(houses)

        households: list[Household] = []
        members_plan: list[list[dict[str, Any]]] = []
        for h, house in enumerate(houses[:target]):
            plan = self.household_members(rented=house.use == HouseUse.RENTED, rural=rural)
            households.append(
                Household(house=house, grid=grid, code=f"{grid.code}{h + 1:04d}", head_name=plan[0]["name"])
            )
            members_plan.append(plan)
        Household.objects.bulk_create(households)
        self.stats.households += len(households)

        residents: list[Resident] = []
        tags: list[tuple[int, str]] = []  # (index in residents, care tag code)
        for household, plan in zip(households, members_plan, strict=True):
            hardship = rng.random() < 0.025
            for m in plan:
                idn = crypto.seal_id_number(m["id_number"])
                ph = crypto.seal_phone(m["phone"]) if m["phone"] else crypto.EMPTY
                residents.append(
                    Resident(
                        grid=grid,
                        household=household,
                        name=m["name"],
                        gender=m["gender"],
                        birth_date=m["born"],
                        kind=m["kind"],
                        relation=m["relation"],
                        id_number_cipher=idn.cipher,
                        id_number_digest=idn.digest,
                        id_number_masked=idn.masked,
                        phone_cipher=ph.cipher,
                        phone_digest=ph.digest,
                        phone_masked=ph.masked,
                        is_party_member=m["party"],
                        moved_in=m["moved_in"],
                    )
                )
                idx = len(residents) - 1
                tags.extend((idx, code) for code in m["tags"])
                if hardship and m["relation"] == Relation.HEAD:
                    tags.append((idx, "hardship"))
        Resident.objects.bulk_create(residents, batch_size=2000)
        self.stats.residents += len(residents)
        through = Resident.care_tags.through
        through.objects.bulk_create(
            [
                through(resident_id=residents[i].pk, caretag_id=self.care[code].pk)
                for i, code in tags
                if code in self.care
            ],
            batch_size=5000,
        )

        # Units: shops along the road, some companies, now and then a school or an organisation.
        units: list[Unit] = []
        for _u in range(rng.randint(3, 14)):
            roll = rng.random()
            if roll < 0.6:
                kind, uname = UnitKind.SHOP, f"{self.surname()}记{rng.choice(names.SHOP_WORDS)}"
            elif roll < 0.85:
                kind, uname = (
                    UnitKind.ENTERPRISE,
                    f"成都{rng.choice(names.ESTATES)[:2]}{rng.choice(names.COMPANY_WORDS)}有限公司",
                )
            elif roll < 0.93:
                kind, uname = UnitKind.SCHOOL, rng.choice(names.SCHOOL_NAMES)
            else:
                kind, uname = UnitKind.ORGANISATION, f"{community.name}{rng.choice(names.ORG_NAMES)}"
            ph = crypto.seal_phone(self.phone())
            units.append(
                Unit(
                    grid=grid,
                    building=rng.choice(buildings),
                    name=uname,
                    kind=kind,
                    credit_code="91510116" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(10)),
                    contact_name=self.surname() + self.given_name(Gender.MALE, date(1980, 1, 1)),
                    phone_cipher=ph.cipher,
                    phone_digest=ph.digest,
                    phone_masked=ph.masked,
                    employees=rng.randint(1, 12) if kind == UnitKind.SHOP else rng.randint(5, 200),
                )
            )
        Unit.objects.bulk_create(units)
        self.stats.units += len(units)

        # The grid's party organisation (党组织建在网格) and its members among the residents.
        party = [r for r in residents if r.is_party_member]
        org = PartyOrganisation.objects.create(
            grid=grid,
            name=f"{community.name}{grid.name}党{'支部' if len(party) >= 7 else '小组'}",
            kind="branch" if len(party) >= 7 else "group",
            secretary_name=party[0].name if party else "",
        )
        PartyMember.objects.bulk_create(
            [
                PartyMember(
                    organisation=org,
                    resident=r,
                    is_volunteer=rng.random() < 0.4,
                    duty=rng.choice(["", "", "楼栋长", "宣传员", "调解员", "小巷管家"]),
                )
                for r in party
            ]
        )
        if seq % 3 == 0 or (community.name == "泉水社区" and seq == 9):
            x, y = self.random_points_in(poly, 1)[0]
            ServicePlace.objects.create(
                community=community,
                grid=grid,
                name=f"{grid.name}“小巷管家”党群服务驿站",
                kind=ServicePlaceKind.PARTY_STATION,
                address=buildings[0].address,
                lng=x,
                lat=y,
                opening_hours="每天 8:30-20:00",
                services="小巷管家值班、便民维修、政策咨询、志愿服务、矛盾调解",
            )
        if seq % 4 == 1:
            ServicePlace.objects.create(
                community=community,
                grid=grid,
                name=f"{estate}邻里活动空间",
                kind=ServicePlaceKind.ACTIVITY_SPACE,
                address=buildings[-1].address,
                opening_hours="每天 7:00-21:00",
                services="议事协商、文体活动、老年人日间照料",
            )

    def household_members(self, *, rented: bool, rural: bool) -> list[dict[str, Any]]:
        rng = self.rng
        size = rng.choices([1, 2, 3, 4, 5], weights=[20, 30, 25, 17, 8])[0]
        kind = ResidentKind.FLOATING if rented and rng.random() < 0.8 else ResidentKind.REGISTERED
        if rng.random() < 0.004:
            kind = ResidentKind.FOREIGNER
        region = rng.choice(names.FLOATING_REGIONS) if kind == ResidentKind.FLOATING else names.LOCAL_REGION
        family = self.surname()
        members: list[dict[str, Any]] = []

        def person(
            relation: str, age: tuple[int, int], gender: str | None = None, surname: str | None = None
        ) -> dict[str, Any]:
            g = gender or (Gender.MALE if rng.random() < 0.5 else Gender.FEMALE)
            born = self.birth(*age)
            years = (TODAY - born).days // 365
            tags: list[str] = []
            if years >= 80:
                tags.append("elderly_80")
            if rng.random() < 0.03:
                tags.append("disabled")
            if rng.random() < 0.01:
                tags.append("serious_illness")
            name = (surname or family) + self.given_name(g, born)
            if kind == ResidentKind.FOREIGNER:
                name = rng.choice(
                    ["Anna Müller", "David Kim", "Maria Santos", "Tanaka Yuki", "John Smith", "Olga Ivanova"]
                )
            return {
                "name": name,
                "gender": g,
                "born": born,
                "relation": relation,
                "kind": kind,
                "id_number": "" if kind == ResidentKind.FOREIGNER else self.id_number(region, born, g),
                "phone": self.phone() if years >= 16 and rng.random() < 0.8 else "",
                "party": years >= 20 and rng.random() < 0.07,
                "tags": tags,
                "moved_in": TODAY - timedelta(days=rng.randint(30, 365 * (3 if kind == ResidentKind.FLOATING else 30))),
            }

        if size == 1:
            elderly = rng.random() < 0.55
            head = person(Relation.HEAD, (66, 92) if elderly else (22, 60))
            if elderly:
                head["tags"].append("elderly_alone")
            return [head]
        older = rng.random() < 0.3
        head = person(
            Relation.HEAD, (60, 85) if older else (28, 58), Gender.MALE if rng.random() < 0.7 else Gender.FEMALE
        )
        members.append(head)
        spouse_gender = Gender.FEMALE if head["gender"] == Gender.MALE else Gender.MALE
        members.append(person(Relation.SPOUSE, (58, 83) if older else (26, 56), spouse_gender, surname=self.surname()))
        if size == 2 and older:
            for m in members:
                m["tags"].append("empty_nest")
        parents_away = rural and rng.random() < 0.12
        for _k in range(size - 2):
            if older:
                members.append(person(Relation.CHILD, (25, 50)))
            else:
                child = person(Relation.CHILD, (0, 17))
                if parents_away and (TODAY - child["born"]).days < 16 * 365:
                    child["tags"].append("left_behind_child")
                members.append(child)
        return members

    def set_grid_leaders(self) -> None:
        leaders = {u.grid_id: u.pk for u in User.objects.filter(role=Role.GRID_LEADER).only("id", "grid_id")}
        grids = list(Grid.objects.filter(id__in=[k for k in leaders if k is not None]))
        for g in grids:
            g.leader_id = leaders[g.pk]
        Grid.objects.bulk_update(grids, ["leader"], batch_size=1000)

    def demo_resident(self) -> None:
        """A registered resident account linked to a real household of 万家社区 第三网格 (the article's grid)."""
        household = (
            Household.objects.filter(grid__seq=3).order_by("grid__code", "code").first() or Household.objects.first()
        )
        u = User(
            username="resident_demo",
            display_name=household.head_name if household else "居民",
            role=Role.RESIDENT,
            household=household,
            password=self.password_hash,
        )
        sealed = crypto.seal_phone("13800000001")
        u.phone_cipher, u.phone_digest, u.phone_masked = sealed.cipher, sealed.digest, sealed.masked
        u.save()
        self.stats.users += 1


def _cn_number(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)
