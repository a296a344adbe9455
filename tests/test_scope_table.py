"""The access table: every role × own area / other area × every page and API endpoint, as data.

How every page and endpoint answers (one rule, kept in one place: `civicgrid.core.errors.access_object`):

- **anonymous**: a page redirects to the login page; the API answers 401.
- **403** when the role never holds the permission the page needs, whatever the object. The permission is
  asked without the object first, so a 403 says nothing about what exists.
- **404** when the role holds the permission but the object is outside the user's area. The selector hides it,
  so the answer is the same as for an id that does not exist: existence is not disclosed.
- **200** (or, for a form POST, the redirect back to its page: 302) inside the area.
- Lists are filtered, never refused, for a role that may list at all; a list narrowed to one grid
  (`?grid=`, `?grid_id=`) answers 404 for a grid outside the area, like that grid's page. What each list
  contains is checked by the tests after the table.
- Pages not about one object (locate, imports, accounts, link requests, audit) answer the same in both columns;
  for locate, "other area" is a point in another grid (which grid contains a point is not secret: a worker
  needs it to hand a matter over).

"Other area" is the nearest place outside the user's own: another street for the street admin, community B
for community A's staff, the neighbouring grid A2 (same community) for grid leaders, workers and stewards,
community B / grid B for people with no area. A cell `200/404` reads "own area / other area"; a cell without
a slash is the answer for both.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import HouseholdLinkRequest, User
from civicgrid.areas.models import Community, Grid, Street
from civicgrid.core import crypto
from civicgrid.core.validators import make_id_number
from civicgrid.people.models import Building, House, Household, Resident

ROLES = [
    "street_admin",
    "community_staff",
    "grid_leader",
    "grid_worker",
    "steward",
    "responder",
    "resident",
    "merchant",
    "anonymous",
]

TABLE = """
endpoint             street_admin community_staff grid_leader grid_worker steward responder resident merchant anonymous
street_page          200/404      403             403         403         403     403       403      403      login
community_page       200/404      200/404         403         403         403     403       403      403      login
grid_page            200/404      200/404         200/404     200/404     200/404 403       403      403      login
resident_list        200/404      200/404         200/404     200/404     200/404 403       403      403      login
household_list       200/404      200/404         200/404     200/404     200/404 403       403      403      login
resident_page        200/404      200/404         200/404     200/404     200/404 403       403      403      login
reveal_page          200/404      200/404         200/404     200/404     403     403       403      403      login
locate_page          200          200             200         200         200     403       403      403      login
people_import        200          200             403         403         403     403       403      403      login
import_template      200          200             403         403         403     403       403      403      login
import_boundaries    200          200             403         403         403     403       403      403      login
users_page           200          200             403         403         403     403       403      403      login
link_requests_page   200          200             403         403         403     403       403      403      login
decide_link_request  302/404      302/404         403         403         403     403       403      403      login
audit_page           200          403             403         403         403     403       403      403      login
api_communities      200          200             200         200         200     403       403      403      401
api_grids            200          200             200         200         200     403       403      403      401
api_grid             200/404      200/404         200/404     200/404     200/404 403       403      403      401
api_residents        200/404      200/404         200/404     200/404     200/404 403       403      403      401
api_resident         200/404      200/404         200/404     200/404     200/404 403       403      403      401
api_reveal           200/404      200/404         200/404     200/404     403     403       403      403      401
api_locate           200          200             200         200         200     403       403      403      401
"""

REASON = "核实身份，办理高龄补贴"


@dataclass(frozen=True)
class Place:
    """The objects a request is about, all in one area."""

    street: Street
    community: Community
    grid: Grid
    resident: Resident
    link_request: HouseholdLinkRequest

    @property
    def point(self) -> dict[str, float]:
        return {"lat": self.grid.centroid_lat or 0.0, "lng": self.grid.centroid_lng or 0.0}


@dataclass(frozen=True)
class Endpoint:
    """One page or API route: how to call it about a place."""

    name: str
    route: str  # the URL name, to check that every route of the project has a row
    url: Callable[[Place], str]
    method: str = "get"
    data: Callable[[Place], dict[str, Any]] | None = None
    json: bool = False

    def call(self, client: Any, place: Place) -> Any:
        data = self.data(place) if self.data else None
        if self.method == "get":
            return client.get(self.url(place), data)
        if self.json:
            return client.post(self.url(place), data, content_type="application/json")
        return client.post(self.url(place), data)


API = "/api/v1"


def _template_url(place: Place) -> str:
    return reverse("people:import_template", args=["residents", "xlsx"])


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint("street_page", "areas:street", lambda p: reverse("areas:street", args=[p.street.pk])),
        Endpoint("community_page", "areas:community", lambda p: reverse("areas:community", args=[p.community.pk])),
        Endpoint("grid_page", "areas:grid", lambda p: reverse("areas:grid", args=[p.grid.pk])),
        Endpoint("resident_list", "people:residents", lambda p: f"{reverse('people:residents')}?grid={p.grid.pk}"),
        Endpoint("household_list", "people:households", lambda p: f"{reverse('people:households')}?grid={p.grid.pk}"),
        Endpoint("resident_page", "people:resident", lambda p: reverse("people:resident", args=[p.resident.pk])),
        Endpoint(
            "reveal_page",
            "people:reveal",
            lambda p: reverse("people:reveal", args=[p.resident.pk, "id_number"]),
            method="post",
            data=lambda p: {"reason": REASON},
        ),
        Endpoint("locate_page", "areas:locate", lambda p: reverse("areas:locate"), data=lambda p: p.point),
        Endpoint("people_import", "people:import", lambda p: reverse("people:import")),
        Endpoint("import_template", "people:import_template", _template_url),
        Endpoint("import_boundaries", "areas:import_boundaries", lambda p: reverse("areas:import_boundaries")),
        Endpoint("users_page", "accounts:users", lambda p: reverse("accounts:users")),
        Endpoint("link_requests_page", "accounts:link_requests", lambda p: reverse("accounts:link_requests")),
        Endpoint(
            "decide_link_request",
            "accounts:decide_link_request",
            lambda p: reverse("accounts:decide_link_request", args=[p.link_request.pk]),
            method="post",
            data=lambda p: {"decision": "reject", "note": "地址与登记不符"},
        ),
        Endpoint("audit_page", "audit:events", lambda p: reverse("audit:events")),
        Endpoint("api_communities", "api:list_communities", lambda p: f"{API}/areas/communities"),
        Endpoint("api_grids", "api:list_grids", lambda p: f"{API}/areas/grids"),
        Endpoint("api_grid", "api:get_grid", lambda p: f"{API}/areas/grids/{p.grid.pk}"),
        Endpoint("api_residents", "api:list_residents", lambda p: f"{API}/people/residents?grid_id={p.grid.pk}"),
        Endpoint("api_resident", "api:get_resident", lambda p: f"{API}/people/residents/{p.resident.pk}"),
        Endpoint(
            "api_reveal",
            "api:reveal",
            lambda p: f"{API}/people/residents/{p.resident.pk}/reveal",
            method="post",
            data=lambda p: {"field": "id_number", "reason": REASON},
            json=True,
        ),
        Endpoint("api_locate", "api:locate", lambda p: f"{API}/areas/locate", data=lambda p: p.point),
    ]
}

# Routes that are about no area at all, so they have no row: logging in and out, registering, the resident's own
# page, the home redirect and the health check.
UNSCOPED_ROUTES = {
    "accounts:login",
    "accounts:logout",
    "accounts:register",
    "accounts:resident_home",
    "core:home",
    "core:healthz",
}


def _parse(table: str) -> dict[tuple[str, str, str], str]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert header == ROLES
    cells: dict[tuple[str, str, str], str] = {}
    for name, *answers in rows:
        assert name in ENDPOINTS, name
        assert len(answers) == len(ROLES), name
        for role, answer in zip(ROLES, answers, strict=True):
            own, _slash, other = answer.partition("/")
            cells[(name, role, "own_area")] = own
            cells[(name, role, "other_area")] = other or own
    return cells


CELLS = _parse(TABLE)


# --- the world: the seeded street, plus a second street that no one in the test world can see -------------


@dataclass
class World:
    street: Street
    street_x: Street
    community_a: Community
    community_b: Community
    community_x: Community
    grid_a: Grid
    grid_a2: Grid
    grid_b: Grid
    grid_x: Grid
    home_grid: Grid  # the grid of the demo resident's household
    residents: dict[str, Resident]  # by grid code, plus "home"
    requests: dict[str, HouseholdLinkRequest]  # by community code

    def place(self, role: str, area: str) -> Place:
        a, b, x = self.community_a, self.community_b, self.community_x
        if area == "own_area":
            grid = self.home_grid if role == "resident" else self.grid_a
            resident = self.residents["home"] if role == "resident" else self.residents[grid.code]
            return Place(self.street, a, grid, resident, self.requests[a.code])
        if role == "street_admin":
            community, grid = x, self.grid_x
        elif role == "community_staff":
            community, grid = b, self.grid_b
        elif role in ("grid_leader", "grid_worker", "steward"):
            community, grid = b, self.grid_a2
        else:
            community, grid = b, self.grid_b
        link_community = x if role == "street_admin" else b
        return Place(self.street_x, community, grid, self.residents[grid.code], self.requests[link_community.code])


def _a_resident_of(grid: Grid) -> Resident:
    return Resident.objects.filter(grid=grid).exclude(id_number_cipher="").exclude(phone_cipher="").order_by("id")[0]


def _applicant(community: Community) -> HouseholdLinkRequest:
    user = User.objects.create(username=f"applicant_{community.code}", role=Role.RESIDENT, display_name="申请人")
    return HouseholdLinkRequest.objects.create(
        user=user, community=community, address_text="1栋101", name_given="<script>alert(1)</script>申请人"
    )


@pytest.fixture
def world(db: Any, resident: User) -> World:
    street = Street.objects.get(code="510116004")
    community_a = Community.objects.get(code="510116004001")
    community_b = Community.objects.get(code="510116004002")
    grid_a, grid_a2 = Grid.objects.get(code="51011600400101"), Grid.objects.get(code="51011600400102")
    grid_b = Grid.objects.get(code="51011600400201")

    street_x = Street.objects.create(code="510116999", name="外街道", district="双流区", city="成都市")
    community_x = Community.objects.create(street=street_x, code="510116999001", name="外社区")
    grid_x = Grid.objects.create(community=community_x, code="51011699900101", seq=1, name="外网格")
    building = Building.objects.create(grid=grid_x, code="51011699900101-001", name="外楼", address="外街道外路1号")
    house = House.objects.create(building=building, room="101")
    household = Household.objects.create(house=house, grid=grid_x, code="510116999001010001", head_name="外户主")
    idn = crypto.seal_id_number(make_id_number("510116", date(1980, 5, 17), 21))
    phone = crypto.seal_phone("13912345678")
    resident_x = Resident.objects.create(
        grid=grid_x,
        household=household,
        name="外居民",
        id_number_cipher=idn.cipher,
        id_number_digest=idn.digest,
        id_number_masked=idn.masked,
        phone_cipher=phone.cipher,
        phone_digest=phone.digest,
        phone_masked=phone.masked,
    )
    assert resident.household is not None
    home_grid = resident.household.grid
    residents = {g.code: _a_resident_of(g) for g in (grid_a, grid_a2, grid_b)}
    residents[grid_x.code] = resident_x
    residents["home"] = resident.household.members.exclude(id_number_cipher="").order_by("id")[0]
    requests = {c.code: _applicant(c) for c in (community_a, community_b, community_x)}
    return World(
        street=street,
        street_x=street_x,
        community_a=community_a,
        community_b=community_b,
        community_x=community_x,
        grid_a=grid_a,
        grid_a2=grid_a2,
        grid_b=grid_b,
        grid_x=grid_x,
        home_grid=home_grid,
        residents=residents,
        requests=requests,
    )


@pytest.fixture
def grid_leader(db: Any) -> User:
    return User.objects.get(username="wanjia01_leader")


# The standing people by role in the table (conftest's names).
PERSON = {
    "street_admin": "street_admin",
    "community_staff": "staff_a",
    "grid_leader": "grid_leader",
    "grid_worker": "worker_a",
    "steward": "steward_a",
    "responder": "responder",
    "resident": "resident",
    "merchant": "merchant",
}


def outcome(response: Any) -> str:
    if response.status_code == 302:
        return "login" if response.url.startswith(reverse("accounts:login")) else "302"
    return str(response.status_code)


@pytest.mark.parametrize(
    ("endpoint", "role", "area"),
    [pytest.param(e, r, a, id=f"{e}-{r}-{a}") for (e, r, a) in CELLS],
)
def test_access_table(endpoint: str, role: str, area: str, world: World, client: Any, request: Any) -> None:
    if role != "anonymous":
        user = request.getfixturevalue(PERSON[role])
        assert user.role == role
        client.force_login(user, backend="civicgrid.accounts.backends.UsernameOrPhoneBackend")
    place = world.place(role, area)
    response = ENDPOINTS[endpoint].call(client, place)
    expected = CELLS[(endpoint, role, area)]
    assert outcome(response) == expected, f"{endpoint} as {role} in {area}: {response.status_code}"


# --- the table covers the project ----------------------------------------------------------------------------


# The foundation's apps, whose routes this table must cover; later apps (cases, patrols…) bring their own tables.
FOUNDATION_NAMESPACES = {"core", "accounts", "areas", "people", "audit"}
FOUNDATION_API_PREFIXES = ("api/v1/areas/", "api/v1/people/")


def _routes(patterns: list[Any], namespace: str = "", prefix: str = "") -> set[tuple[str, str]]:
    """Every named route as (namespace:name, full path pattern)."""
    found: set[tuple[str, str]] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            found |= _routes(p.url_patterns, p.namespace or namespace, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            found.add((f"{namespace}:{p.name}" if namespace else p.name, prefix + str(p.pattern)))
    return found


def test_every_foundation_route_has_a_row_in_the_table_or_is_declared_unscoped() -> None:
    routes = {
        name
        for name, path in _routes(get_resolver().url_patterns)
        if name.partition(":")[0] in FOUNDATION_NAMESPACES or path.startswith(FOUNDATION_API_PREFIXES)
    }
    covered = {e.route for e in ENDPOINTS.values()}
    assert routes - covered - UNSCOPED_ROUTES == set(), "a new page or endpoint needs a row in TABLE"
    assert covered - routes == set(), "a row names a route that does not exist"


# --- an object outside the area is indistinguishable from one that does not exist ----------------------------


def _page_body(response: Any) -> bytes:
    """The page without what differs by design: fresh CSRF tokens and the requested path (the language form)."""
    html = response.content.replace(response.wsgi_request.path.encode(), b"PATH")
    html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", html)
    return re.sub(rb'"X-CSRFToken": "[^"]*"', b"", html)


def test_a_grid_worker_cannot_tell_another_grids_page_from_a_missing_one(client_as: Any, worker_a: User) -> None:
    client = client_as(worker_a)
    other = Grid.objects.get(code="51011600400102")
    missing = Grid.objects.order_by("-id")[0].pk + 1000
    a = client.get(reverse("areas:grid", args=[other.pk]))
    b = client.get(reverse("areas:grid", args=[missing]))
    assert a.status_code == b.status_code == 404
    assert _page_body(a) == _page_body(b)


def test_the_api_answers_another_communitys_resident_like_a_missing_one(client_as: Any, staff_a: User) -> None:
    client = client_as(staff_a)
    other = Resident.objects.filter(grid__community__code="510116004002").order_by("id")[0]
    missing = Resident.objects.order_by("-id")[0].pk + 1000
    a = client.get(f"{API}/people/residents/{other.pk}")
    b = client.get(f"{API}/people/residents/{missing}")
    assert a.status_code == b.status_code == 404
    assert a.json() == b.json()


# --- what the lists contain ---------------------------------------------------------------------------------


def _all_api_items(client: Any, url: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    page = 1
    while True:
        body = client.get(url, {"page": page}).json()
        items += body["items"]
        if len(items) >= body["count"]:
            return items
        page += 1


def _listed_residents(response: Any) -> list[Resident]:
    return list(response.context["page"].paginator.object_list)


def test_a_grid_workers_resident_list_holds_exactly_the_residents_of_grid_a(
    client_as: Any, worker_a: User, grid_a: Grid
) -> None:
    listed = _listed_residents(client_as(worker_a).get(reverse("people:residents")))
    assert {r.pk for r in listed} == set(Resident.objects.filter(grid=grid_a).values_list("pk", flat=True))


def test_community_staffs_resident_list_holds_exactly_the_residents_of_community_a(
    client_as: Any, staff_a: User
) -> None:
    listed = _listed_residents(client_as(staff_a).get(reverse("people:residents")))
    expected = Resident.objects.filter(grid__community_id=staff_a.community_id)
    assert {r.pk for r in listed} == set(expected.values_list("pk", flat=True))


def test_the_street_admins_resident_list_holds_the_whole_street_and_nothing_beyond(
    client_as: Any, street_admin: User, world: World
) -> None:
    listed = {r.pk for r in _listed_residents(client_as(street_admin).get(reverse("people:residents")))}
    assert listed == set(Resident.objects.filter(grid__community__street=world.street).values_list("pk", flat=True))
    assert world.residents[world.grid_x.code].pk not in listed


def test_a_stewards_household_list_holds_only_the_households_of_their_grid(
    client_as: Any, steward_a: User, grid_a: Grid
) -> None:
    response = client_as(steward_a).get(reverse("people:households"))
    listed = {h.pk for h in response.context["page"].paginator.object_list}
    assert listed == set(Household.objects.filter(grid=grid_a).values_list("pk", flat=True))


def test_the_api_resident_list_of_a_grid_worker_holds_only_grid_a(client_as: Any, worker_a: User, grid_a: Grid) -> None:
    items = _all_api_items(client_as(worker_a), f"{API}/people/residents")
    assert {i["id"] for i in items} == set(Resident.objects.filter(grid=grid_a).values_list("pk", flat=True))
    assert {i["grid_id"] for i in items} == {grid_a.pk}


def test_the_api_resident_list_of_community_staff_holds_only_community_a(client_as: Any, staff_a: User) -> None:
    items = _all_api_items(client_as(staff_a), f"{API}/people/residents")
    expected = set(Resident.objects.filter(grid__community_id=staff_a.community_id).values_list("pk", flat=True))
    assert {i["id"] for i in items} == expected


def test_the_api_grid_list_of_community_staff_holds_only_community_a_grids(client_as: Any, staff_a: User) -> None:
    body = client_as(staff_a).get(f"{API}/areas/grids").json()
    assert {g["id"] for g in body} == set(
        Grid.objects.filter(community_id=staff_a.community_id).values_list("pk", flat=True)
    )
    assert {g["community_id"] for g in body} == {staff_a.community_id}


def test_the_api_grid_list_of_the_street_admin_holds_every_grid_of_the_street_only(
    client_as: Any, street_admin: User, world: World
) -> None:
    body = client_as(street_admin).get(f"{API}/areas/grids").json()
    assert {g["id"] for g in body} == set(
        Grid.objects.filter(community__street=world.street).values_list("pk", flat=True)
    )
    assert len(body) == 6


def test_the_api_grid_list_of_a_grid_worker_is_their_grid(client_as: Any, worker_a: User, grid_a: Grid) -> None:
    assert [g["id"] for g in client_as(worker_a).get(f"{API}/areas/grids").json()] == [grid_a.pk]


def test_the_api_community_list_is_scoped(
    client_as: Any, street_admin: User, staff_b: User, worker_a: User, world: World
) -> None:
    def codes(user: User) -> set[str]:
        return {c["code"] for c in client_as(user).get(f"{API}/areas/communities").json()}

    assert codes(street_admin) == {world.community_a.code, world.community_b.code}
    assert codes(staff_b) == {world.community_b.code}
    assert codes(worker_a) == {world.community_a.code}


def test_the_users_page_of_community_staff_lists_only_accounts_of_community_a(client_as: Any, staff_a: User) -> None:
    response = client_as(staff_a).get(reverse("accounts:users"))
    listed = list(response.context["page"].paginator.object_list)
    assert listed
    assert all(u.community_id == staff_a.community_id for u in listed)
    assert "quanshui" not in response.content.decode()


def test_the_link_request_page_of_community_staff_lists_only_community_a_requests(
    client_as: Any, staff_a: User, world: World
) -> None:
    response = client_as(staff_a).get(reverse("accounts:link_requests"))
    assert [r.pk for r in response.context["pending"]] == [world.requests[world.community_a.code].pk]
    html = response.content.decode()
    assert "<script>alert(1)</script>" not in html  # the name a resident typed is escaped
    assert "&lt;script&gt;" in html


def test_the_street_admin_sees_the_link_requests_of_both_communities_but_not_another_street(
    client_as: Any, street_admin: User, world: World
) -> None:
    response = client_as(street_admin).get(reverse("accounts:link_requests"))
    assert {r.community_id for r in response.context["pending"]} == {world.community_a.pk, world.community_b.pk}
