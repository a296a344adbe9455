"""A year of case history for the demo street (演示诉求数据), so that every page and metric is alive.

Each case is lived through step by step exactly as the services would change it — the same fields, the same time
limits from `calendar.due_at` (working time for normal cases, the clock for urgent ones), one timeline event per
step — and cut off at `now`: the cases of the last days are still open, a few of them past their limits, and some
older ones are stuck. Rows go in with bulk_create (no service call, no audit event per case: one audit event
records the seeding). Deterministic for the seed and `now`.

What varies, roughly as in a Chengdu street: the categories by season and hour (e-bike charging in stairwells and
broken street lights on winter evenings, noise, greenery and blocked drains in summer, rubbish all year, unpaid
wages before the Spring Festival), the grid (larger grids report more), the place (next to one of the grid's
buildings), the channel (the web form at any hour, phone calls and walk-ins in office hours, patrols in the
daytime), and the outcome: most solved in time and rated satisfied; some late, reworked, returned by a unit,
extended, redone after an unsatisfied rating, parked, whistled, or solved on the spot.
"""

from __future__ import annotations

import csv
import math
import random
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from django.db import connection
from django.db.models import Count, Field, Model, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.notifications.models import Notification
from civicgrid.people.models import Building, Household
from civicgrid.responders.models import Responder

from . import calendar
from .choices import Channel, ExtensionStatus, Kind, Satisfaction, Status, Urgency
from .models import Case, CaseEvent, Category, ExtensionRequest, Whistle, WhistleSummons
from .services import TRACKING_ALPHABET

S = Status
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Share of each category among the street's cases (per mille, roughly), before the season and the hour.
BASE_WEIGHT: dict[str, float] = {
    "0101": 100, "0102": 60, "0103": 60, "0104": 35, "0105": 55, "0106": 28, "0107": 25,
    "0201": 80, "0202": 50, "0203": 38, "0204": 18, "0205": 28,
    "0301": 20, "0302": 28, "0303": 35, "0304": 10, "0305": 18, "0306": 22,
    "0401": 35, "0402": 28, "0403": 20, "0404": 30, "0405": 20,
    "0501": 50, "0502": 30, "0503": 10, "0504": 8, "0505": 18,
    "0601": 14, "0602": 9,
    "0701": 30, "0702": 14, "0703": 40, "0704": 8, "0705": 8,
    "0801": 10, "0802": 10, "0803": 8, "9901": 18,
}  # fmt: skip

WINTER, SPRING, SUMMER, AUTUMN = (12, 1, 2), (3, 4, 5), (6, 7, 8), (9, 10, 11)
SEASON: dict[str, dict[tuple[int, ...], float]] = {
    "0303": {WINTER: 2.6, AUTUMN: 1.3},  # e-bikes charged in the stairwell when it is cold
    "0401": {WINTER: 2.2, AUTUMN: 1.4},  # long nights: broken street lights get noticed
    "0304": {WINTER: 2.5},  # gas heaters
    "0405": {SUMMER: 1.8, WINTER: 1.3},  # air conditioners, heaters
    "0701": {WINTER: 1.5},
    "0504": {(12, 1): 3.0},  # unpaid wages before the Spring Festival
    "0105": {SUMMER: 2.3, SPRING: 1.2},  # square dancing, windows open, renovation season
    "0107": {SUMMER: 2.5, SPRING: 1.6},  # grass, fallen trees after storms
    "0104": {(6, 7, 8, 9): 2.2},  # the rainy season
    "0106": {SUMMER: 1.6},  # barbecues
    "0203": {SUMMER: 1.5},  # night markets
    "0404": {SUMMER: 1.5},
    "0102": {AUTUMN: 1.4},  # fallen leaves
    "0801": {SPRING: 1.3, AUTUMN: 1.2},
}
EVENING = {"0303": 2.5, "0401": 3.0, "0105": 2.0, "0106": 2.0, "0203": 2.0, "0601": 1.5}  # 18:00–23:59
NIGHT_ONLY_LOW = {"0703", "0702", "0704", "0801", "0802", "0803", "0502"}  # office matters: rare after hours

# Reports per hour of the day (resident channels), then the office channels.
HOURLY = [0.15, 0.08, 0.05, 0.05, 0.06, 0.15, 0.5, 1.2, 2.2, 3.2, 3.4, 2.8, 1.6, 1.8, 2.8, 3.0, 2.9, 2.4, 2.3, 2.6,
          2.5, 2.0, 1.2, 0.5]  # fmt: skip
OFFICE_CHANNELS = [(Channel.PHONE, 30), (Channel.WALK_IN, 14), (Channel.PATROL, 26), (Channel.WEB, 22), (Channel.API, 5),
                   (Channel.OPEN311, 3)]  # fmt: skip
AFTER_HOURS_CHANNELS = [(Channel.WEB, 80), (Channel.API, 12), (Channel.OPEN311, 8)]

# A few reports of our own per category, added to the labelled training reports (their "train" part only).
OWN_TEXTS: dict[str, list[str]] = {
    "0101": ["小区门口的垃圾桶已经满出来了，周围全是垃圾袋", "菜市场后面垃圾堆了好几天，一股酸臭味"],
    "0102": ["单元楼道里好久没人打扫了，楼梯上全是灰和烟头", "路面上全是落叶和泥巴，下雨天走路打滑"],
    "0103": ["楼道里堆了旧沙发和纸箱，挡住了一半的路", "有人在车棚旁边堆建筑垃圾，一直没人拉走"],
    "0104": ["下水道堵了，污水从井盖里冒出来流到路上", "一楼厨房下水反味，整栋楼的管子可能都堵了"],
    "0105": ["楼上装修每天早上七点就开始打电钻，周末也不停", "晚上十点多了广场舞音响还开得很大声"],
    "0106": ["楼下烧烤店的油烟直接往我们窗户里灌", "垃圾站味道太大了，夏天根本不敢开窗"],
    "0107": ["小区里的大树被风吹歪了，压在电线上很危险", "绿化带被人挖了种菜，草坪都秃了"],
    "0201": ["电动车把小区大门堵死了，推婴儿车都过不去", "人行道上全是乱停的电瓶车，老人只能走马路"],
    "0202": ["有辆车在小区出口停了一个多月没动过，落满了灰", "路口天天有车乱停，早上上学高峰堵得很"],
    "0203": ["路边摊占了整条人行道，晚上还有油烟", "早上卖菜的把摊子摆到了马路上"],
    "0204": ["顶楼有住户在楼顶搭了个棚子，还在继续加建", "一楼住户把院子往外扩，占了公共绿地"],
    "0205": ["单元门上贴满了开锁和贷款的小广告", "新刷的墙又被人喷了电话号码"],
    "0301": ["楼道里的灭火器过期两年了", "消防栓的箱子玻璃碎了，里面水带也不见了"],
    "0302": ["安全出口被杂物堵住了，门都推不开", "消防通道上停满了车，真出事消防车进不来"],
    "0303": ["有人把电瓶拿回家充电，还从窗户拉飞线下来", "楼道里停着好几辆电动车在充电，晚上很危险"],
    "0304": ["楼道里闻到很大的燃气味，不知道哪家漏气", "家里的燃气管道锈得厉害，担心漏气"],
    "0305": ["外墙的瓷砖掉下来了，差点砸到人", "楼上有人往下扔垃圾，车顶都被砸凹了"],
    "0306": ["电梯停在两层中间，里面有人被困", "电梯运行的时候声音很大，还一顿一顿的"],
    "0401": ["小区后门那段路灯全不亮，晚上黑漆漆的", "路灯一闪一闪的好几天了"],
    "0402": ["路中间的井盖松了，车一压就响", "人行道上有个大坑，晚上看不见容易摔"],
    "0403": ["健身器材的扶手断了，老人用着很危险", "儿童滑梯有块板子翘起来了，会划伤小孩"],
    "0404": ["又停水了，也没提前通知", "水龙头放出来的水发黄，有铁锈味"],
    "0405": ["整栋楼停电好几个小时了，冰箱东西都坏了", "楼道里的电线老化冒火花"],
    "0501": ["楼上漏水把我家天花板泡坏了，楼上不承认", "邻居在公共走廊养狗，到处是狗屎"],
    "0502": ["物业收了钱不办事，电梯坏了一个星期都不修", "物业要涨物业费，业主都不同意"],
    "0503": ["老人几个子女都不管，想请社区帮忙调解赡养的事", "家里吵得厉害，想请社区的人来劝一下"],
    "0504": ["工地老板拖欠我们三个月工资，过年回不了家", "在饭店打工被辞退，最后一个月工资不给"],
    "0505": ["房东不退押金，说墙被弄脏了", "隔壁一套房子住了十几个人，是群租房"],
    "0601": ["最近小区里有陌生人晚上挨家挨户看门牌", "车棚里的电瓶车接连被偷了好几辆"],
    "0602": ["有人在小区门口搞免费体检，推销保健品给老人", "有个群里天天拉老人投资，说年息百分之二十"],
    "0701": ["独居的张婆婆好几天没出门了，打电话也不接", "想问一下社区食堂能不能给老人送餐"],
    "0702": ["家里老人大病住院，想问能不能申请临时救助", "低保年审需要准备哪些材料"],
    "0703": ["开居住证明需要带什么材料，几点上班", "孩子上学要开证明，请问在哪里办"],
    "0704": ["残疾证到期了想换新的，怎么办理", "想申请一个轮椅，社区有没有补贴"],
    "0705": ["暑假孩子没人管，社区有没有托管班", "有个小孩经常一个人在外面到很晚"],
    "0801": ["希望社区多组织一些老年人的文体活动", "能不能在周末搞一次亲子活动"],
    "0802": ["建议我们小区加装电梯，老人爬楼太难了", "希望增设一个电动车充电棚"],
    "0803": ["社区公告栏的信息更新太慢了", "建议网格员多来小区走一走"],
    "9901": ["想反映一个问题，不知道该找哪个部门", "家门口的快递柜一直坏着，联系不上人"],
}

RESOLVE_NOTES: dict[str, list[str]] = {
    "sanitation": ["已安排环卫车清运，现场已清理干净", "已清运并对周边进行了冲洗消杀"],
    "property": ["物业已派人处理完毕，并在楼道张贴了提示", "已督促物业整改，现场复查已符合要求"],
    "water": ["维修人员已疏通管道，供水排水恢复正常", "已更换老化管段，水质检测合格"],
    "power": ["供电所已抢修完毕，恢复供电", "已更换老化线路，排除隐患"],
    "gas_company": ["燃气公司已上门检测并更换了连接管", "已关阀检修，检测无泄漏后恢复供气"],
    "community": ["社区已上门走访沟通，双方达成一致", "已协调相关方，问题已解决并告知居民"],
    "urban_management": ["执法中队已现场督促整改，已恢复原状", "已下达整改通知书，复查已整改到位"],
    "landscaping": ["园林站已修剪扶正，清理了断枝", "已补种草皮并设置了围挡提示"],
    "traffic_police": ["交警已现场处置，车辆已挪走", "已在路口增设禁停标志并加强巡查"],
    "police": ["派出所已出警核实，并加强了夜间巡逻", "已对相关人员进行了劝离和宣传教育"],
    "housing": ["已组织专业人员排查，清除了外墙空鼓瓷砖", "已设置警示区域并督促产权人维修"],
    "municipal": ["市政站已更换灯具，路灯恢复照明", "已修补路面并固定井盖"],
    "human_resources": ["劳动保障所已介入，欠薪已全部结清", "已组织劳资双方调解，签订了还款协议"],
    "civil_affairs": ["已指导申请临时救助，材料已受理", "民政办已上门核实并纳入关爱名单"],
    "disabled_federation": ["残联已受理申请，辅具已配发", "已协助办理残疾证换证手续"],
    "": ["网格员已现场处理完毕", "已联系相关人员解决"],
}
REJECT_NOTES = [
    "不属于本街道职责范围，已告知居民向区住建局反映",
    "反映内容不具体，多次联系未能核实，已告知居民补充后再报",
    "属于民事纠纷，已引导当事人通过司法途径解决",
]
RETURN_NOTES = ["不属于我单位管辖范围，请重新派遣", "地址不详，现场未找到，请核实后再派", "该处设施产权不属于本单位"]
PARK_NOTES = [
    "需纳入老旧小区改造统一实施，暂时挂账，改造项目已报区里",
    "涉及多方产权，需街道统筹协调，已挂账跟踪",
    "资金未落实，已列入明年民生项目清单",
]
REWORK_NOTES = ["现场复查仍未清理干净，请返工", "问题只解决了一半，请继续处理", "居民反映仍有异味，请再处理"]
EXTENSION_NOTES = ["需要采购配件，到货需要时间", "涉及多户协调，需要延长处理时间", "天气原因无法施工"]
WHISTLE_NOTES = ["占道经营屡劝不改，请执法、交警、市场监管联合处置", "违建正在施工，请规划、执法立即到场"]
REPORTER_SUFFIX = ["女士", "先生", "阿姨", "大爷", "女士", "先生"]
REDO_NOTES = ["电话回访：居民表示问题没有解决", "回访不满意：说处理后又反弹了"]


@dataclass
class Ev:
    """One timeline step: when, what, from → to, who, note, public."""

    at: datetime
    action: str
    from_status: str
    to_status: str
    actor: User | None
    note: str
    public: bool = True


@dataclass
class Life:
    """One case as it is lived: the Case fields, its events, and what else it made (extensions, whistles)."""

    fields: dict[str, Any]
    events: list[Ev] = field(default_factory=list)
    extensions: list[dict[str, Any]] = field(default_factory=list)
    whistles: list[dict[str, Any]] = field(default_factory=list)
    done: bool = False


@dataclass
class GridPlace:
    grid: Grid
    buildings: list[tuple[int, float | None, float | None, str]]  # (id, lat, lng, address)
    weight: float
    worker: User
    stewards: list[User]
    staff: list[User]


class History:
    """Lives through a year of cases for the street in the database (the demo street, or any)."""

    def __init__(self, rng: random.Random, now: datetime) -> None:
        self.rng = rng
        self.now = now
        self.days: Mapping[date, bool] = dict(calendar.overrides())
        self.categories = {c.code: c for c in Category.objects.filter(parent__isnull=False, active=True)}
        self.by_pk = {c.pk: c for c in self.categories.values()}
        self.texts = self.load_texts()
        users = list(User.objects.filter(is_active=True).order_by("id"))
        self.admin = next(u for u in users if u.role == Role.STREET_ADMIN)
        workers = {u.grid_id: u for u in reversed(users) if u.role == Role.GRID_WORKER}
        stewards: dict[int | None, list[User]] = defaultdict(list)
        staff: dict[int | None, list[User]] = defaultdict(list)
        for u in users:
            if u.role == Role.STEWARD:
                stewards[u.grid_id].append(u)
            elif u.role == Role.COMMUNITY_STAFF:
                staff[u.community_id].append(u)
        self.unit_users = {u.responder_id: u for u in reversed(users) if u.role == Role.RESPONDER}
        households = dict(Household.objects.order_by().values_list("grid_id").annotate(n=Count("id")))
        buildings: dict[int, list[tuple[int, float | None, float | None, str]]] = defaultdict(list)
        for b in Building.objects.order_by("id").values_list("id", "grid_id", "lat", "lng", "address"):
            buildings[b[1]].append((b[0], b[2], b[3], b[4]))
        self.places = [
            GridPlace(
                g,
                buildings[g.pk],
                float(households.get(g.pk, 1)),
                workers[g.pk],
                stewards[g.pk] or [workers[g.pk]],
                staff[g.community_id] or [self.admin],
            )
            for g in Grid.objects.select_related("community").order_by("code")
            if g.pk in workers and buildings[g.pk]
        ]
        self.grid_weights = [p.weight for p in self.places]
        # Units by kind: community-specific ones first (the property company), then the street's.
        self.units: dict[tuple[str, int | None], list[Responder]] = defaultdict(list)
        for unit in Responder.objects.filter(active=True).prefetch_related("communities").order_by("pk"):
            communities: list[int | None] = [c.pk for c in unit.communities.all()]
            for cid in communities or [None]:
                self.units[(unit.kind, cid)].append(unit)
        resident = User.objects.filter(username="resident_demo").select_related("household").first()
        self.resident = resident
        self.resident_grid = resident.household.grid_id if resident and resident.household else None
        self.codes: set[str] = set()

    # --- words ---
    def load_texts(self) -> dict[str, list[tuple[str, str]]]:
        """(text, kind) per category: the training set's "train" reports and our own."""
        out: dict[str, list[tuple[str, str]]] = defaultdict(list)
        path = FIXTURES / "training_cases.csv"
        if path.exists():
            with path.open(encoding="utf-8") as fh:
                for row in csv.DictReader(fh):
                    if row.get("split", "train") == "train" and row.get("category_code") in BASE_WEIGHT:
                        kind = row.get("kind") or Kind.HELP
                        out[row["category_code"]].append((row["text"], kind if kind in Kind.values else Kind.HELP))
        for code, texts in OWN_TEXTS.items():
            default_kind = Kind.CONSULT if code.startswith("07") else Kind.SUGGESTION if code.startswith("08") else ""
            out[code].extend((t, default_kind or Kind.COMPLAINT) for t in texts)
        return out

    def tracking_code(self) -> str:
        while True:
            code = "".join(self.rng.choice(TRACKING_ALPHABET) for _ in range(8))
            if code not in self.codes:
                self.codes.add(code)
                return code

    # --- time ---
    def later(self, t: datetime, minutes: float, urgent: bool) -> datetime:
        """`minutes` of the case's own time after t: working time for normal cases, the clock for urgent ones."""
        return calendar.due_at(t, max(int(minutes), 1), urgent, self.days)

    def work(self, t: datetime, lo: int, hi: int, urgent: bool) -> datetime:
        """Someone acts lo..hi minutes of working time later (urgent matters: a tenth of it, on the clock)."""
        minutes = self.rng.randint(lo, hi)
        return self.later(t, max(minutes // 10, 2) if urgent else minutes, urgent)

    def part(self, t: datetime, limit: int, lo: float, hi: float, urgent: bool) -> datetime:
        """Someone acts after lo..hi of the limit (a step of handling takes its share of the time allowed)."""
        return self.later(t, limit * self.rng.uniform(lo, hi), urgent)

    # --- one case ---
    def category_for(self, moment: datetime) -> Category:
        month, hour = moment.month, moment.hour
        codes, weights = [], []
        for code, base in BASE_WEIGHT.items():
            if code not in self.categories:
                continue
            w = base
            for months, factor in SEASON.get(code, {}).items():
                if month in months:
                    w *= factor
            if hour >= 18:
                w *= EVENING.get(code, 1.0)
            if (hour < 8 or hour >= 18) and code in NIGHT_ONLY_LOW:
                w *= 0.2
            codes.append(code)
            weights.append(w)
        return self.categories[self.rng.choices(codes, weights)[0]]

    def life(self, created: datetime, place: GridPlace) -> Life:
        rng = self.rng
        cat = self.category_for(created)
        workday = calendar.is_workday(created.date(), self.days)
        office = workday and 9 <= created.hour < 17
        channels = OFFICE_CHANNELS if office else AFTER_HOURS_CHANNELS
        channel = rng.choices([c for c, _w in channels], [w for _c, w in channels])[0]
        urgent = cat.urgent or rng.random() < 0.02
        text, kind = rng.choice(self.texts.get(cat.code) or [(cat.name_zh, Kind.HELP)])
        bid, lat, lng, address = rng.choice(place.buildings)
        if lat is not None and lng is not None:
            lat, lng = round(lat + rng.uniform(-0.0002, 0.0002), 6), round(lng + rng.uniform(-0.0002, 0.0002), 6)
        recorded_by: User | None = None
        if channel in (Channel.PHONE, Channel.WALK_IN):
            recorded_by = rng.choice(place.staff)
        elif channel == Channel.PATROL:
            recorded_by = place.worker if rng.random() < 0.6 else rng.choice(place.stewards)
        reporter = None
        if self.resident is not None and place.grid.pk == self.resident_grid and channel == Channel.WEB:
            reporter = self.resident if rng.random() < 0.3 else None
        anonymous = channel in (Channel.WEB, Channel.OPEN311) and reporter is None and rng.random() < 0.15
        name = "" if anonymous or channel == Channel.PATROL else self.reporter_name()
        phone = crypto.EMPTY
        if not anonymous and channel in (Channel.WEB, Channel.PHONE) and rng.random() < 0.5:
            phone = crypto.seal_phone(rng.choice(["138", "139", "158", "187", "199"]) + f"{rng.randrange(10**8):08d}")
        f: dict[str, Any] = {
            "tracking_code": self.tracking_code(),
            "kind": kind,
            "category_id": cat.pk,
            "description": text,
            "channel": channel,
            "urgency": Urgency.URGENT if urgent else Urgency.NORMAL,
            "lat": lat,
            "lng": lng,
            "address_text": address[:200],
            "building_id": bid,
            "grid_id": place.grid.pk,
            "community_id": place.grid.community_id,
            "reporter": reporter,
            "reporter_name": reporter.display_name[:50] if reporter else name,
            "reporter_phone_cipher": phone.cipher,
            "reporter_phone_digest": phone.digest,
            "reporter_phone_masked": phone.masked,
            "anonymous": anonymous,
            "recorded_by": recorded_by,
            "status": S.SUBMITTED,
            "owner": place.worker,
            "created_at": created,
            "accept_due_at": calendar.due_at(created, cat.accept_minutes, urgent, self.days),
        }
        life = Life(f)
        life.events.append(
            Ev(
                created,
                "submit",
                "",
                S.SUBMITTED,
                recorded_by or reporter,
                _("Report received via %(c)s.") % {"c": Channel(channel).label},
            )
        )
        self.live(life, cat, place, urgent, office and channel in (Channel.PATROL, Channel.WALK_IN))
        return life

    def reporter_name(self) -> str:
        from civicgrid.core.demo import names

        return names.SURNAMES[int(len(names.SURNAMES) * self.rng.random() ** 2.2)] + self.rng.choice(REPORTER_SUFFIX)

    def step(
        self, life: Life, at: datetime, action: str, to: str | None, actor: User | None, note: str = "", **changes: Any
    ) -> bool:
        """Apply one step if it happens before now; False (and the case stops here) if it does not."""
        if life.done or at > self.now:
            life.done = True
            return False
        last = life.events[-1].at
        at = max(at, last + timedelta(seconds=30))  # strictly after the step before
        if at > self.now:
            life.done = True
            return False
        before = life.fields["status"]
        life.fields.update(changes)
        if to is not None:
            life.fields["status"] = to
        public = action not in ("request_extension", "extension_approved", "extension_rejected", "whistle")
        life.events.append(Ev(at, action, before, life.fields["status"], actor, note, public))
        return True

    def live(self, life: Life, cat: Category, place: GridPlace, urgent: bool, on_the_spot_possible: bool) -> None:
        rng, f = self.rng, life.fields
        t0: datetime = f["created_at"]
        dispatcher = place.worker if rng.random() < 0.8 else rng.choice(place.staff)
        if on_the_spot_possible and rng.random() < 0.45:
            at = t0 + timedelta(minutes=rng.randint(1, 20))
            owner = place.worker
            if not self.step(
                life, at, "solve_on_the_spot", S.CLOSED, f["recorded_by"] or owner, self.note(cat), on_the_spot=True
            ):
                return
            moment = life.events[-1].at
            f.update(
                accepted_at=moment,
                resolved_at=moment,
                closed_at=moment,
                resolve_due_at=moment,
                accepted_on_time=True,
                resolved_on_time=True,
            )
            if rng.random() < 0.2:
                self.survey(life, cat, place, moment, urgent, allow_redo=False)
            return
        # Accept (or reject) within the accept limit, mostly.
        late = rng.random() < 0.06
        fraction = rng.uniform(1.05, 3.0) if late else rng.uniform(0.05, 0.9)
        at = self.later(t0, cat.accept_minutes * fraction, urgent)
        if rng.random() < 0.03:
            if self.step(life, at, "reject", S.REJECTED, dispatcher, rng.choice(REJECT_NOTES)):
                f["closed_at"] = life.events[-1].at
            return
        if not self.step(life, at, "accept", S.ACCEPTED, dispatcher):
            return
        at = life.events[-1].at
        f.update(
            accepted_at=at,
            accepted_on_time=at <= f["accept_due_at"],
            resolve_due_at=calendar.due_at(at, cat.resolve_minutes, urgent, self.days),
        )
        if rng.random() < 0.012:  # 挂账
            at = self.work(at, 480, 2400, urgent)
            if not self.step(life, at, "park", S.PARKED, rng.choice(place.staff), rng.choice(PARK_NOTES)):
                return
            f["parked_reason"] = life.events[-1].note
            if rng.random() < 0.6:
                return
            at = self.later(at, rng.randint(20, 60) * 420, False)
            if not self.step(life, at, "unpark", S.ACCEPTED, rng.choice(place.staff), parked_reason="", responder=None):
                return
            at = life.events[-1].at
            f["resolve_due_at"] = calendar.due_at(at, cat.resolve_minutes, urgent, self.days)
        limit_start = life.events[-1].at
        if cat.code in ("0203", "0204", "0106", "0305") and rng.random() < 0.08:
            self.whistle(life, limit_start, place)
        self.handle(life, cat, place, urgent, dispatcher, limit_start)

    def handle(
        self, life: Life, cat: Category, place: GridPlace, urgent: bool, dispatcher: User, limit_start: datetime
    ) -> None:
        rng, f = self.rng, life.fields
        units = self.units.get((cat.responder_kind, place.grid.community_id)) or self.units.get(
            (cat.responder_kind, None)
        )
        ourselves = not units or (cat.responder_kind == "community" and rng.random() < 0.7)
        at = self.part(life.events[-1].at, cat.resolve_minutes, 0.01, 0.08, urgent)
        handler: User = dispatcher
        if ourselves:
            if not self.step(life, at, "handle_ourselves", S.IN_PROGRESS, dispatcher, responder=None, dispatched_at=at):
                return
            f["acknowledged_at"] = f["dispatched_at"] = life.events[-1].at
        else:
            assert units
            unit = units[0]
            if not self.step(life, at, "dispatch", S.DISPATCHED, dispatcher, responder=unit):
                return
            f["dispatched_at"] = life.events[-1].at
            handler = self.unit_users.get(unit.pk, dispatcher)
            if rng.random() < 0.05:  # 回退
                at = self.part(life.events[-1].at, cat.resolve_minutes, 0.03, 0.15, urgent)
                if not self.step(life, at, "return", S.ACCEPTED, handler, rng.choice(RETURN_NOTES), responder=None):
                    return
                f["return_count"] = f.get("return_count", 0) + 1
                others = self.units.get((cat.responder_kind, None)) or units
                unit = others[-1]
                at = self.part(life.events[-1].at, cat.resolve_minutes, 0.01, 0.05, urgent)
                if not self.step(life, at, "dispatch", S.DISPATCHED, dispatcher, responder=unit):
                    return
                f["dispatched_at"] = life.events[-1].at
                handler = self.unit_users.get(unit.pk, dispatcher)
            at = self.part(life.events[-1].at, cat.resolve_minutes, 0.01, 0.08, urgent)
            if not self.step(life, at, "acknowledge", S.ACKNOWLEDGED, handler):
                return
            f["acknowledged_at"] = life.events[-1].at
            at = self.part(life.events[-1].at, cat.resolve_minutes, 0.02, 0.12, urgent)
            if not self.step(life, at, "start", S.IN_PROGRESS, handler):
                return
        limit = cat.resolve_minutes
        if rng.random() < 0.05:  # 延期
            at = self.part(life.events[-1].at, limit, 0.3, 0.7, urgent)
            reason = rng.choice(EXTENSION_NOTES)
            extra = rng.choice([240, 480, 960, 2100])
            if not self.step(life, at, "request_extension", None, handler, reason):
                return
            asked = life.events[-1].at
            approve = rng.random() < 0.85
            supervisor = rng.choice(place.staff)
            at = self.part(asked, limit, 0.02, 0.08, urgent)
            decided = self.step(
                life,
                at,
                "extension_approved" if approve else "extension_rejected",
                None,
                supervisor,
                "同意延期" if approve else "请按原时限办结",
            )
            life.extensions.append(
                {
                    "requested_by": handler,
                    "extra_minutes": extra,
                    "reason": reason,
                    "status": (ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED)
                    if decided
                    else ExtensionStatus.PENDING,
                    "decided_by": supervisor if decided else None,
                    "decided_at": life.events[-1].at if decided else None,
                    "created_at": asked,
                }
            )
            if not decided:
                return
            if approve:
                base = max(f["resolve_due_at"], life.events[-1].at)
                f["resolve_due_at"] = calendar.due_at(base, extra, urgent, self.days)
                f["extension_count"] = 1
                limit += extra
        if rng.random() < 0.005:  # stuck: nobody gets it done (these are the old overdue ones)
            return
        self.resolve(life, cat, place, urgent, dispatcher, handler, limit_start, limit)

    def resolve(
        self,
        life: Life,
        cat: Category,
        place: GridPlace,
        urgent: bool,
        dispatcher: User,
        handler: User,
        limit_start: datetime,
        limit: int,
    ) -> None:
        rng, f = self.rng, life.fields
        late = rng.random() < 0.09
        fraction = rng.uniform(1.05, 2.2) if late else rng.uniform(0.3, 0.95)
        at = self.later(limit_start, limit * fraction, urgent)
        if not self.resolve_at(life, at, handler, cat):
            return
        if rng.random() < 0.06:  # 返工
            at = self.work(life.events[-1].at, 30, 480, urgent)
            if not self.step(
                life,
                at,
                "rework",
                S.IN_PROGRESS,
                dispatcher,
                rng.choice(REWORK_NOTES),
                resolved_at=None,
                resolved_on_time=None,
            ):
                return
            f["rework_count"] = f.get("rework_count", 0) + 1
            at = self.part(life.events[-1].at, cat.resolve_minutes, 0.05, 0.3, urgent)
            if not self.resolve_at(life, at, handler, cat):
                return
        at = self.work(life.events[-1].at, 30, 600, urgent)
        if not self.step(life, at, "verify", S.VERIFIED, place.worker, "已到现场核查，处理属实"):
            return
        at = self.work(life.events[-1].at, 5, 120, urgent)
        if not self.step(life, at, "close", S.CLOSED, dispatcher, closed_at=at):
            return
        f["closed_at"] = life.events[-1].at
        if rng.random() < 0.7:
            self.survey(life, cat, place, life.events[-1].at, urgent, allow_redo=True, handler=handler)

    def resolve_at(self, life: Life, at: datetime, handler: User, cat: Category) -> bool:
        if not self.step(life, at, "resolve", S.RESOLVED, handler, self.note(cat)):
            return False
        moment = life.events[-1].at
        life.fields.update(resolved_at=moment, resolved_on_time=moment <= life.fields["resolve_due_at"])
        return True

    def survey(
        self,
        life: Life,
        cat: Category,
        place: GridPlace,
        closed: datetime,
        urgent: bool,
        *,
        allow_redo: bool,
        handler: User | None = None,
    ) -> None:
        rng, f = self.rng, life.fields
        at = self.later(closed, rng.randint(120, 1500), False)
        roll = rng.random()
        rating = (
            Satisfaction.SATISFIED if roll < 0.78 else Satisfaction.BASIC if roll < 0.92 else Satisfaction.UNSATISFIED
        )
        if not allow_redo and rating == Satisfaction.UNSATISFIED:
            rating = Satisfaction.BASIC
        on_page = rng.random() < 0.35  # the reporter rates on the tracking page, else a phone survey by staff
        actor = None if on_page else rng.choice(place.staff)
        redo = rating == Satisfaction.UNSATISFIED
        note = rng.choice(REDO_NOTES) if redo else ""
        if not self.step(
            life, at, "survey", S.IN_PROGRESS if redo else S.SURVEYED, actor, note, satisfaction=rating, surveyed_at=at
        ):
            return
        moment = life.events[-1].at
        f["surveyed_at"] = moment
        if not redo:
            return
        f.update(
            redo_count=f.get("redo_count", 0) + 1,
            closed_at=None,
            resolved_at=None,
            resolved_on_time=None,
            resolve_due_at=calendar.due_at(moment, cat.resolve_minutes, urgent, self.days),
        )
        # 重办: the same unit works on it again under a fresh limit (and it may be rated again).
        self.resolve(life, cat, place, urgent, place.worker, handler or place.worker, moment, cat.resolve_minutes)

    def note(self, cat: Category) -> str:
        return self.rng.choice(RESOLVE_NOTES.get(cat.responder_kind) or RESOLVE_NOTES[""])

    def whistle(self, life: Life, at: datetime, place: GridPlace) -> None:
        rng = self.rng
        at = self.work(at, 10, 90, False)
        kinds = ["urban_management", "traffic_police", "housing", "police", "sanitation"]
        units = [u[0] for k in rng.sample(kinds, rng.randint(2, 3)) if (u := self.units.get((k, None)))]
        note = rng.choice(WHISTLE_NOTES)
        if not units or not self.step(
            life, at, "whistle", None, self.admin, note + " → " + "、".join(u.name for u in units)
        ):
            return
        blown = life.events[-1].at
        summons = []
        for unit in units:
            arrive = blown + timedelta(minutes=rng.randint(8, 45))
            reported = rng.random() < 0.9 and arrive <= self.now
            summons.append((unit, arrive if reported else None))
            if reported:
                life.events.append(
                    Ev(
                        arrive,
                        "whistle_report",
                        life.fields["status"],
                        life.fields["status"],
                        self.unit_users.get(unit.pk),
                        "已到场",
                        False,
                    )
                )
        life.events.sort(key=lambda e: e.at)
        life.whistles.append({"blown_at": blown, "note": note, "summons": summons})

    # --- flags at `now`, as the periodic check would have left them ---
    def flags(self, life: Life) -> None:
        f = life.fields
        status = f["status"]
        due = f.get("accept_due_at") if status == S.SUBMITTED else None
        if status in (S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS):
            due = f.get("resolve_due_at")
        if due is None:
            return
        cat = self.by_pk[f["category_id"]]
        urgent = f["urgency"] == Urgency.URGENT
        limit = cat.accept_minutes if status == S.SUBMITTED else cat.resolve_minutes
        if self.now > due:
            late = (
                (self.now - due).total_seconds() / 60
                if urgent
                else calendar.working_minutes_between(due, self.now, self.days)
            )
            f.update(overdue=True, escalation_level=2 if late >= limit else 1)
        else:
            left = (
                (due - self.now).total_seconds() / 60
                if urgent
                else calendar.working_minutes_between(self.now, due, self.days)
            )
            if left * 100 <= 20 * limit:
                f["warned_at"] = self.now


def seed_cases(
    rng: random.Random,
    *,
    days: int = 365,
    per_day: float | None = None,
    now: datetime | None = None,
) -> dict[str, int]:
    """Create `days` days of case history up to `now` (default: this minute) for the street in the database.

    `per_day`: the average number of reports a day (default 0.3 per grid: about 30 for the 98 grids of the demo
    street, as many as its ~30,000 residents would make by the rate of Beijing's hotline, counting patrols).
    Returns counts: cases, events, open, overdue.
    """
    now = (now or timezone.now()).replace(second=0, microsecond=0)
    history = History(rng, now)
    if not history.places:
        return {"cases": 0, "events": 0, "open": 0, "overdue": 0}
    per_day = per_day if per_day is not None else 0.3 * len(history.places)
    hours = list(range(24))
    lives: list[Life] = []
    first = (now - timedelta(days=days)).astimezone(calendar.TZ).date()
    for d in range(days + 1):
        day = first + timedelta(days=d)
        workday = calendar.is_workday(day, history.days)
        mean = per_day * (1.0 if workday else 0.7)
        if date(day.year, 2, 14) <= day <= date(day.year, 2, 24):
            mean *= 0.5  # the Spring Festival (2026: 15–23 February)
        n = max(0, round(rng.gauss(mean, math.sqrt(mean))))
        weights = HOURLY if workday else [w * (0.6 if 9 <= h < 17 else 1.0) for h, w in enumerate(HOURLY)]
        for _i in range(n):
            hour = rng.choices(hours, weights)[0]
            created = datetime(
                day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60), tzinfo=calendar.TZ
            )
            if created > now:
                continue
            place = rng.choices(history.places, history.grid_weights)[0]
            lives.append(history.life(created, place))
    lives.sort(key=lambda life: life.fields["created_at"])
    for life in lives:
        history.flags(life)
    return write(history, lives)


def insert_rows(model: type[Model], columns: list[str], rows: list[tuple[Any, ...]], chunk: int = 20_000) -> None:
    """INSERT plain tuples (values in `columns` order) with executemany; datetimes adapted as Django would."""
    fields = [cast(Field[Any, Any], model._meta.get_field(c.removesuffix("_id"))) for c in columns]
    datetimes = [i for i, f in enumerate(fields) if f.get_internal_type() == "DateTimeField"]
    adapt = connection.ops.adapt_datetimefield_value
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column or f.name) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            batch = rows[start : start + chunk]
            if datetimes:
                batch = [tuple(adapt(v) if i in datetimes else v for i, v in enumerate(row)) for row in batch]
            cursor.executemany(sql, batch)


def write(history: History, lives: list[Life]) -> dict[str, int]:
    cases = [Case(**life.fields) for life in lives]
    Case.objects.bulk_create(cases, batch_size=1000)
    # ~80,000 events: straight to the database with executemany (model instances would cost most of the seed).
    columns = ["case_id", "at", "actor_id", "actor_label", "action", "from_status", "to_status", "note", "public"]
    events = [
        (case.pk, ev.at, ev.actor.pk if ev.actor else None, str(ev.actor) if ev.actor else "public", ev.action,
         ev.from_status, ev.to_status, ev.note, ev.public)
        for case, life in zip(cases, lives, strict=True)
        for ev in life.events
    ]  # fmt: skip
    insert_rows(CaseEvent, columns, events)
    extensions = [
        ExtensionRequest(case_id=case.pk, **{k: v for k, v in x.items() if k != "created_at"})
        for case, life in zip(cases, lives, strict=True)
        for x in life.extensions
    ]
    ExtensionRequest.objects.bulk_create(extensions)
    stamps = [x["created_at"] for life in lives for x in life.extensions]
    for req, stamp in zip(extensions, stamps, strict=True):
        req.created_at = stamp  # auto_now_add set it to today on insert
    ExtensionRequest.objects.bulk_update(extensions, ["created_at"], batch_size=500)
    summons = []
    for case, life in zip(cases, lives, strict=True):
        for w in life.whistles:
            whistle = Whistle.objects.create(
                case_id=case.pk, blown_by=history.admin, blown_at=w["blown_at"], note=w["note"]
            )
            summons += [
                WhistleSummons(
                    whistle=whistle,
                    responder=unit,
                    reported_at=reported,
                    reported_by=history.unit_users.get(unit.pk) if reported else None,
                    note="已到场" if reported else "",
                )
                for unit, reported in w["summons"]
            ]
    WhistleSummons.objects.bulk_create(summons)
    # updated_at is auto_now: set it to the last step of each case, in one statement.
    last_step = CaseEvent.objects.filter(case_id=OuterRef("pk")).order_by("-at").values("at")[:1]
    Case.objects.filter(pk__in=[c.pk for c in cases]).update(updated_at=Subquery(last_step))
    # The inboxes: each open case once for its owner, the overdue ones also for the community (as the check would).
    open_cases = [
        c
        for c in cases
        if c.status in (S.SUBMITTED, S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.RESOLVED, S.VERIFIED)
    ]
    staff = defaultdict(list)
    for u in User.objects.filter(role=Role.COMMUNITY_STAFF, is_active=True):
        staff[u.community_id].append(u)
    notes = []
    for c in open_cases:
        url = f"/cases/{c.pk}/"
        if c.overdue:
            for u in [c.owner, *staff[c.community_id]]:
                notes.append(
                    Notification(user=u, verb="case.overdue", text=f"诉求 {c.tracking_code} 已超期（已升级）", url=url)
                )
        else:
            notes.append(
                Notification(
                    user=c.owner, verb="case.new", text=f"新诉求 {c.tracking_code}：{c.description[:60]}", url=url
                )
            )
    Notification.objects.bulk_create(notes, batch_size=2000)
    counts = {
        "cases": len(cases),
        "events": len(events),
        "open": len(open_cases),
        "overdue": sum(1 for c in open_cases if c.overdue),
    }
    record(None, "demo.seed_cases", None, target_type="demo", after=counts)
    return counts
