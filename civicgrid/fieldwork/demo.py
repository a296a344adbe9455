"""Field work for the demo street (演示基层工作数据): stewards' patrols and findings, household visits, the fire-safety
register, disputes with their mediation, the monthly screening, and the steward programme.

Called by DemoBuilder.build for the street scale, after the people and the case history exist. Rows go in with
bulk_create (one audit event records the seeding); only the recent findings that were not solved on the spot go
through `submit_case`, so that their cases are real cases with their time limits, and the expired fire-safety
items go through the daily expiry check, as in production. Deterministic for the seed and the day it runs.

What it looks like, roughly as a Chengdu street at the end of a month: every steward walked their lanes a few
times in the last eight weeks (most findings solved on the spot: a bin moved, a bike moved away from a door),
a handful of patrols with the route recorded, care households visited at their rhythm with a few overdue, most
extinguishers in date with some expiring and a few expired, one or two disputes per grid in the last quarter,
most of them settled, and this month's screening sent by most grids — 零报告 where nothing was found — and
missing in a few.
"""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db.models import Min
from django.utils import timezone

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Community, Grid
from civicgrid.core import crypto
from civicgrid.disputes.models import (
    Dispute,
    DisputeKind,
    DisputeParty,
    DisputeStatus,
    MediationSession,
    MonthlyScreening,
)
from civicgrid.disputes.services import mask_name
from civicgrid.firesafety.models import ItemKind, SafetyItem
from civicgrid.patrols.models import ChecklistItem, Finding, Patrol, TracePoint
from civicgrid.people.models import Building, Household, Resident
from civicgrid.stewards.models import ApplicationStatus, StewardApplication, TrainingAttendance, TrainingSession
from civicgrid.visits.models import FollowUp, Purpose, Visit

PATROL_DAYS = 56
CASE_DAYS = 7  # findings of the last week that were not solved on the spot become cases through submit_case

# What was done on the spot, by checklist item; and what is written when it needs a case.
SOLVED = {
    "full_bin": ["通知保洁员清运，已清理", "垃圾桶已归位，周边清扫干净"],
    "ebike_gate": ["联系车主挪走电动车", "已劝导车主停入车棚"],
    "ebike_charging": ["劝导住户拆除飞线，电动车推出楼道", "已提醒住户到充电桩充电"],
    "extinguisher": ["登记型号，通知物业更换"],
    "fire_exit": ["与商户沟通，杂物已搬离消防通道"],
    "clutter": ["协助住户清理楼道纸箱", "楼道杂物已清理"],
    "illegal_build": ["已劝导停工，拍照留存"],
    "broken_facility": ["已报物业维修"],
    "elderly_check": ["上门看望，老人身体尚好", "帮助老人预约社区医生"],
    "quarrel": ["现场劝解，双方情绪平稳"],
}
UNSOLVED = {
    "full_bin": "垃圾桶满溢，周边堆放生活垃圾",
    "ebike_gate": "电动车长期堵住单元门，影响通行",
    "ebike_charging": "楼道内有人飞线给电动车充电",
    "extinguisher": "楼道灭火器压力不足，需更换",
    "fire_exit": "消防通道被杂物堵塞",
    "clutter": "楼道堆放大量纸箱和旧家具",
    "illegal_build": "一楼住户在绿地上搭建棚子",
    "broken_facility": "小区路灯不亮，夜间出行不便",
    "elderly_check": "独居老人多日未出门，需要关心",
    "quarrel": "楼上楼下因噪音发生争吵",
}
VISIT_FOUND = [
    ("老人身体尚可，生活能自理", "", ""),
    ("家中整洁，近期无特殊需求", "", ""),
    ("老人腿脚不便，希望有人帮忙买菜", "送菜上门", ""),
    ("孩子由祖父母照看，学习情况良好", "课后辅导", ""),
    ("家中燃气软管老化", "", "燃气软管老化"),
    ("老人血压偏高，已提醒按时服药", "定期测血压", "独居，突发疾病无人知晓"),
    ("残疾人家庭，轮椅需要维修", "轮椅维修", ""),
]
DISPUTE_SUMMARIES = {
    DisputeKind.NEIGHBOUR: ["楼上装修噪音影响休息，双方多次争吵", "空调外机滴水到楼下阳台", "邻居在公共区域堆放杂物"],
    DisputeKind.PROPERTY: ["业主对物业费上涨有异议", "小区停车位分配引发不满"],
    DisputeKind.FAMILY: ["老人赡养问题，子女之间意见不一"],
    DisputeKind.LABOUR: ["装修工人讨要工钱"],
    DisputeKind.RENTAL: ["租客退租，房东不退押金", "房屋漏水，租客要求减免房租"],
    DisputeKind.OTHER: ["宠物狗咬伤邻居，赔偿有争议"],
}
OUTCOMES = {
    DisputeStatus.SETTLED: ["双方达成一致，签订调解协议", "经调解，一方道歉并赔偿损失"],
    DisputeStatus.REFERRED: ["涉及法律问题，引导到司法所"],
    DisputeStatus.FAILED: ["双方分歧较大，建议通过诉讼解决"],
}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "秀英桂兰志强建华国平玉兰德明淑珍海燕文军丽娟"


def _when(rng: random.Random, now: datetime, days_back: float, *, daytime: bool = True) -> datetime:
    at = now - timedelta(days=rng.uniform(0, days_back))
    local = timezone.localtime(at)
    if daytime:
        local = local.replace(hour=rng.randint(8, 17), minute=rng.randrange(60))
        if local > timezone.localtime(now):
            local -= timedelta(days=1)
    return local


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randrange(10**9):09d}"


def seed_fieldwork(rng: random.Random, now: datetime | None = None) -> dict[str, int]:
    """Seed the field work of every grid in the database; returns counts for the seeding summary."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    grids = list(Grid.objects.select_related("community").order_by("code"))
    if not grids:
        return {}
    people: dict[int, dict[str, list[User]]] = defaultdict(lambda: {"steward": [], "worker": []})
    for u in User.objects.filter(role__in=[Role.STEWARD, Role.GRID_WORKER], grid__isnull=False).order_by("username"):
        people[u.grid_id or 0]["steward" if u.role == Role.STEWARD else "worker"].append(u)
    buildings: dict[int, list[Building]] = defaultdict(list)
    for b in Building.objects.order_by("code").only("id", "grid_id", "name", "lat", "lng"):
        buildings[b.grid_id].append(b)
    counts: dict[str, int] = {}
    counts.update(_programme(rng, now, people))
    counts.update(_patrols(rng, now, grids, people, buildings))
    counts.update(_visits(rng, now, today, people))
    counts.update(_fire_safety(rng, today, buildings))
    counts.update(_disputes(rng, now, today, grids, people))
    return counts


def _programme(rng: random.Random, now: datetime, people: dict[int, dict[str, list[User]]]) -> dict[str, int]:
    """Each community trained its stewards; a few residents have applied since, one selected and trained."""
    stewards_by_community: dict[int, list[User]] = defaultdict(list)
    for staff in people.values():
        for s in staff["steward"]:
            stewards_by_community[s.community_id or 0].append(s)
    password = User.objects.filter(role=Role.STEWARD).values_list("password", flat=True).first() or "!"
    apps: list[StewardApplication] = []
    sessions: list[TrainingSession] = []
    newcomers: list[User] = []
    for community in Community.objects.order_by("code"):
        sessions.append(
            TrainingSession(
                community=community,
                title="小巷管家岗前培训：巡查与隐患识别",
                held_at=now - timedelta(days=rng.randint(70, 120)),
                minutes=120,
                trainer="街道网格办",
            )
        )
        sessions.append(
            TrainingSession(
                community=community,
                title="矛盾纠纷调解技巧",
                held_at=now - timedelta(days=rng.randint(5, 20)),
                minutes=90,
                trainer="司法所",
            )
        )
        for s in stewards_by_community[community.pk]:
            apps.append(
                StewardApplication(
                    applicant=s,
                    community=community,
                    grid_id=s.grid_id,
                    motivation="退休在家，想为邻居做点事",
                    skills=rng.choice(["熟悉小区情况", "会调解邻里矛盾", "懂一点电工", ""]),
                    status=ApplicationStatus.ACTIVE,
                    decided_at=now - timedelta(days=130),
                )
            )
        slug = community.code[-3:]
        for k, status in enumerate([ApplicationStatus.APPLIED, ApplicationStatus.SELECTED]):
            newcomers.append(
                User(
                    username=f"applicant_{slug}_{k + 1}",
                    display_name=_name(rng),
                    role=Role.RESIDENT,
                    password=password,
                )
            )
            apps.append(
                StewardApplication(
                    community=community,
                    motivation="孩子上学后时间比较多，愿意参加社区服务",
                    skills=rng.choice(["会用手机拍照上报", "在小区住了二十年"]),
                    status=status,
                    decided_at=now - timedelta(days=10) if status == ApplicationStatus.SELECTED else None,
                )
            )
    User.objects.bulk_create(newcomers)
    by_name = {u.username: u for u in User.objects.filter(username__in=[n.username for n in newcomers])}
    for a in apps:
        if a.applicant_id is None:
            slug = a.community.code[-3:]
            k = 1 if a.status == ApplicationStatus.APPLIED else 2
            a.applicant = by_name[f"applicant_{slug}_{k}"]
    StewardApplication.objects.bulk_create(apps, batch_size=1000)
    TrainingSession.objects.bulk_create(sessions)
    first: dict[int, TrainingSession] = {}
    second: dict[int, TrainingSession] = {}
    for session in TrainingSession.objects.order_by("held_at"):
        (first if session.title.startswith("小巷管家") else second)[session.community_id] = session
    attendance = []
    for a in StewardApplication.objects.filter(status__in=[ApplicationStatus.ACTIVE, ApplicationStatus.SELECTED]):
        session = first[a.community_id] if a.status == ApplicationStatus.ACTIVE else second[a.community_id]
        attendance.append(TrainingAttendance(session=session, application=a))
        if a.status == ApplicationStatus.ACTIVE and rng.random() < 0.8:
            attendance.append(TrainingAttendance(session=second[a.community_id], application=a))
    TrainingAttendance.objects.bulk_create(attendance, batch_size=2000)
    return {"steward_applications": len(apps), "training_sessions": len(sessions)}


def _patrols(
    rng: random.Random,
    now: datetime,
    grids: list[Grid],
    people: dict[int, dict[str, list[User]]],
    buildings: dict[int, list[Building]],
) -> dict[str, int]:
    from civicgrid.patrols.selectors import checklist_for
    from civicgrid.patrols.services import raise_case_from_finding

    items = list(checklist_for(grids[0].community.street_id))
    weights = [{"full_bin": 5, "ebike_gate": 4, "ebike_charging": 3, "clutter": 4}.get(i.code, 1) for i in items]
    patrols: list[Patrol] = []
    plan: list[tuple[int, list[tuple[ChecklistItem, datetime, bool]]]] = []
    for grid in grids:
        walkers = people[grid.pk]["steward"] + people[grid.pk]["worker"]
        for walker in walkers:
            for _ in range(rng.randint(3, 9)):
                started = _when(rng, now, PATROL_DAYS)
                minutes = rng.randint(25, 110)
                finished = started + timedelta(minutes=minutes)
                open_now = finished > now
                patrols.append(
                    Patrol(
                        grid=grid,
                        walker=walker,
                        started_at=started,
                        finished_at=None if open_now else finished,
                        tracking=rng.random() < 0.08,
                        start_lat=grid.centroid_lat,
                        start_lng=grid.centroid_lng,
                        end_lat=None if open_now else grid.centroid_lat,
                        end_lng=None if open_now else grid.centroid_lng,
                    )
                )
                found = []
                for _f in range(rng.choices([0, 1, 2, 3], [35, 35, 20, 10])[0]):
                    item = rng.choices(items, weights)[0]
                    at = started + timedelta(minutes=rng.randint(3, max(minutes - 3, 4)))
                    recent = now - at < timedelta(days=CASE_DAYS)
                    found.append((item, min(at, now), not recent or rng.random() < 0.7))
                plan.append((len(patrols) - 1, found))
    Patrol.objects.bulk_create(patrols, batch_size=2000)
    findings: list[Finding] = []
    traces: list[TracePoint] = []
    retention = now - timedelta(days=30)
    for index, found in plan:
        patrol = patrols[index]
        if patrol.tracking and patrol.started_at > retention:
            lat, lng = patrol.start_lat or 30.55, patrol.start_lng or 103.88
            for k in range(12):
                lat, lng = lat + rng.uniform(-0.0004, 0.0004), lng + rng.uniform(-0.0004, 0.0004)
                traces.append(
                    TracePoint(patrol=patrol, at=patrol.started_at + timedelta(minutes=3 * k), lat=lat, lng=lng)
                )
        places = buildings[patrol.grid_id]
        for item, at, solved in found:
            building = rng.choice(places) if places else None
            findings.append(
                Finding(
                    patrol=patrol,
                    item=item,
                    found_at=at,
                    building=building,
                    lat=building.lat if building else None,
                    lng=building.lng if building else None,
                    solved_on_spot=solved,
                    note=rng.choice(SOLVED[item.code])
                    if solved and item.code in SOLVED
                    else UNSOLVED.get(item.code, ""),
                )
            )
    Finding.objects.bulk_create(findings, batch_size=2000)
    TracePoint.objects.bulk_create(traces, batch_size=2000)
    # The recent findings that were not solved on the spot: a case each, through the intake like the phone's.
    raised = 0
    for f in findings:
        if f.solved_on_spot:
            continue
        f.case = raise_case_from_finding(f.patrol.walker, f)
        raised += 1
    Finding.objects.bulk_update([f for f in findings if f.case_id], ["case"], batch_size=1000)
    return {"patrols": len(patrols), "findings": len(findings), "finding_cases": raised, "trace_points": len(traces)}


def _visits(rng: random.Random, now: datetime, today: date, people: dict[int, dict[str, list[User]]]) -> dict[str, int]:
    """Care households visited at their rhythm: most on time, about one in twelve overdue."""
    every = dict(
        Resident.objects.filter(household__isnull=False, care_tags__isnull=False)
        .values("household_id")
        .annotate(days=Min("care_tags__visit_every_days"))
        .values_list("household_id", "days")
    )
    households = Household.objects.filter(pk__in=every).only("id", "grid_id").order_by("id")
    visits: list[Visit] = []
    for h in households:
        visitors = people[h.grid_id]["worker"] + people[h.grid_id]["steward"]
        if not visitors:
            continue
        days = every[h.pk]
        # How long ago the last visit was: within the rhythm mostly, past it sometimes (overdue).
        late = rng.random() < 0.08
        last = days + rng.randint(1, 10) if late else rng.uniform(0, days * 0.95)
        times = [now - timedelta(days=last)]
        while len(times) < 6 and (now - times[-1]).days < 120:
            times.append(times[-1] - timedelta(days=days * rng.uniform(0.8, 1.05)))
        for at in times:
            found, needs, risks = rng.choice(VISIT_FOUND)
            follow = FollowUp.NONE
            if needs and rng.random() < 0.5:
                follow = rng.choice([FollowUp.REFERRAL, FollowUp.ACTIVITY])
            local = timezone.localtime(at).replace(hour=rng.randint(9, 17), minute=rng.randrange(60))
            visits.append(
                Visit(
                    household=h,
                    grid_id=h.grid_id,
                    visitor=rng.choice(visitors),
                    visited_at=min(local, now),
                    purpose=Purpose.CARE if rng.random() < 0.8 else rng.choice([Purpose.SAFETY, Purpose.POLICY]),
                    found=found,
                    needs=needs,
                    risks=risks,
                    follow_up=follow,
                    follow_up_note={FollowUp.REFERRAL: "转介社区卫生服务站", FollowUp.ACTIVITY: "邀请参加长者饭堂"}.get(
                        follow, ""
                    ),
                )
            )
    Visit.objects.bulk_create(visits, batch_size=2000)
    return {"visits": len(visits)}


def _fire_safety(rng: random.Random, today: date, buildings: dict[int, list[Building]]) -> dict[str, int]:
    """Extinguishers on the floors of each building, exits and hydrants; then the daily expiry check, once."""
    from civicgrid.firesafety.services import run_expiry_checks

    items: list[SafetyItem] = []
    for grid_buildings in buildings.values():
        for b in grid_buildings:
            for floor in rng.sample(range(1, 7), rng.randint(1, 3)):
                r = rng.random()
                if r < 0.015:
                    expires = today - timedelta(days=rng.randint(1, 60))  # expired
                elif r < 0.06:
                    expires = today + timedelta(days=rng.randint(1, 30))  # expiring
                else:
                    expires = today + timedelta(days=rng.randint(31, 720))
                items.append(
                    SafetyItem(
                        building=b,
                        kind=ItemKind.EXTINGUISHER,
                        location=f"{floor}楼楼梯口",
                        expires_on=expires,
                        last_checked_on=today - timedelta(days=rng.randint(5, 80)),
                    )
                )
            if rng.random() < 0.3:
                items.append(SafetyItem(building=b, kind=ItemKind.FIRE_EXIT, location="一楼安全出口"))
            if rng.random() < 0.1:
                items.append(SafetyItem(building=b, kind=ItemKind.HYDRANT, location="楼栋东侧"))
    SafetyItem.objects.bulk_create(items, batch_size=5000)
    done = run_expiry_checks(today)
    return {"safety_items": len(items), "safety_cases": done["cases"], "safety_reminders": done["reminded"]}


def _disputes(
    rng: random.Random, now: datetime, today: date, grids: list[Grid], people: dict[int, dict[str, list[User]]]
) -> dict[str, int]:
    """One or two disputes per grid in the last quarter, mediated; and three months of screenings."""
    disputes: list[Dispute] = []
    parties: list[tuple[int, str, str]] = []
    for grid in grids:
        mediators = people[grid.pk]["worker"] + people[grid.pk]["steward"][:1]
        if not mediators:
            continue
        for _ in range(rng.choices([0, 1, 2, 3], [25, 40, 25, 10])[0]):
            kind = rng.choice(list(DISPUTE_SUMMARIES))
            found = _when(rng, now, 85)
            age = (now - found).days
            status = DisputeStatus.OPEN
            if age > 5:
                status = rng.choices(
                    [DisputeStatus.SETTLED, DisputeStatus.OPEN, DisputeStatus.REFERRED, DisputeStatus.FAILED],
                    [75, 10, 10, 5],
                )[0]
            disputes.append(
                Dispute(
                    grid=grid,
                    kind=kind,
                    summary=rng.choice(DISPUTE_SUMMARIES[kind]),
                    mediator=rng.choice(mediators),
                    status=status,
                    outcome=rng.choice(OUTCOMES[status]) if status in OUTCOMES else "",
                    found_at=found,
                    settled_at=found + timedelta(days=rng.randint(1, 5)) if status in OUTCOMES else None,
                )
            )
            parties.append((len(disputes) - 1, _name(rng), _phone(rng)))
            parties.append((len(disputes) - 1, _name(rng), _phone(rng) if rng.random() < 0.6 else ""))
    Dispute.objects.bulk_create(disputes, batch_size=1000)
    DisputeParty.objects.bulk_create(
        [
            DisputeParty(
                dispute=disputes[i],
                name_cipher=crypto.encrypt(name),
                name_masked=mask_name(name),
                phone_cipher=crypto.encrypt(phone) if phone else "",
                phone_masked=crypto.mask_phone(phone) if phone else "",
            )
            for i, name, phone in parties
        ],
        batch_size=1000,
    )
    sessions: list[MediationSession] = []
    for d in disputes:
        end = d.settled_at or now
        for k in range(rng.randint(1, 3)):
            held = d.found_at + (end - d.found_at) * (k + 1) / 4
            sessions.append(
                MediationSession(
                    dispute=d,
                    held_at=held,
                    note=rng.choice(["分别听取双方意见", "组织双方面对面协商", "请楼栋长一起参与调解"]),
                    recorded_by=d.mediator,
                )
            )
        if d.status == DisputeStatus.SETTLED and rng.random() < 0.5:
            sessions.append(
                MediationSession(
                    dispute=d,
                    held_at=min(end + timedelta(days=7), now),
                    note="回访：双方履行协议，关系缓和",
                    is_follow_up=True,
                    recorded_by=d.mediator,
                )
            )
    MediationSession.objects.bulk_create(sessions, batch_size=2000)

    per_month: dict[tuple[int, date], int] = defaultdict(int)
    for d in disputes:
        local = timezone.localtime(d.found_at).date()
        per_month[(d.grid_id, local.replace(day=1))] += 1
    month = today.replace(day=1)
    months = [month, (month - timedelta(days=1)).replace(day=1)]
    months.append((months[1] - timedelta(days=1)).replace(day=1))
    screenings: list[MonthlyScreening] = []
    for grid in grids:
        reporters = people[grid.pk]["worker"] or people[grid.pk]["steward"]
        if not reporters:
            continue
        for m in months:
            # This month: about one grid in ten has not reported yet; earlier months: all but the odd one.
            if rng.random() < (0.1 if m == month else 0.02):
                continue
            n = per_month[(grid.pk, m)]
            reported = min(
                now, timezone.make_aware(datetime.combine(m + timedelta(days=rng.randint(20, 27)), datetime.min.time()))
            )
            screenings.append(
                MonthlyScreening(
                    grid=grid,
                    month=m,
                    reported_by=reporters[0],
                    reported_at=reported,
                    nothing_found=n == 0,
                    disputes_found=n,
                    note="" if n else "本月排查未发现矛盾纠纷",
                )
            )
    MonthlyScreening.objects.bulk_create(screenings, batch_size=1000)
    return {
        "disputes": len(disputes),
        "mediation_sessions": len(sessions),
        "screenings": len(screenings),
        "screenings_nothing_found": sum(s.nothing_found for s in screenings),
    }
