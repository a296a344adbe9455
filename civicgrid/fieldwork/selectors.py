"""What the offline phone pages carry inside them: the grid's buildings, households (masked), checklist, due visits.

The pages are cached by the service worker and used without a network, so everything a form needs to offer
choices is embedded in the page when it is rendered. Household heads are masked (张**): the phone holds no name
it does not need, and a lost phone gives away no more than the grid's doors.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from django.db.models import Q
from django.utils import timezone

from civicgrid.accounts.choices import Role
from civicgrid.areas.models import Grid
from civicgrid.disputes.models import Dispute, MonthlyScreening
from civicgrid.disputes.services import mask_name
from civicgrid.patrols.selectors import checklist_for
from civicgrid.people.models import Building, Household, Resident
from civicgrid.visits.selectors import DueVisit, due_visits

FIELD_ROLES = (Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD)


def field_grid(user: Any) -> Grid | None:
    """The grid a steward, grid worker or grid leader records in (None for everyone else)."""
    if not user.is_authenticated or user.role not in FIELD_ROLES or not user.grid_id:
        return None
    return Grid.objects.select_related("community", "community__street").filter(pk=user.grid_id).first()


def buildings_of(grid: Grid) -> list[dict[str, Any]]:
    return [
        {"id": pk, "name": name}
        for pk, name in Building.objects.filter(grid=grid).order_by("code").values_list("id", "name")
    ]


def checklist_of(grid: Grid) -> list[dict[str, Any]]:
    return [
        {"code": i.code, "name": i.name, "category": i.category.code}
        for i in checklist_for(grid.community.street_id).order_by("order", "code")
    ]


def households_of(grid: Grid) -> list[dict[str, Any]]:
    """Every household of the grid as the visit form's search list: code, masked head, address, care groups."""
    care: dict[int, set[str]] = defaultdict(set)
    for household_id, tag in (
        Resident.objects.filter(grid=grid, household__isnull=False, care_tags__isnull=False)
        .values_list("household_id", "care_tags__name_zh")
        .order_by()
    ):
        care[household_id].add(tag)
    rows = (
        Household.objects.filter(grid=grid)
        .order_by("code")
        .values_list("id", "code", "head_name", "house__building__name", "house__room")
    )
    return [
        {"id": pk, "code": code, "name": mask_name(head), "address": f"{building} {room}", "care": sorted(care[pk])}
        for pk, code, head, building, room in rows
    ]


@dataclass
class FieldHome:
    """The steward's or grid worker's home page: their grid, what is due, what they did this month."""

    grid: Grid
    due: list[DueVisit]
    patrols_this_month: int
    findings_this_month: int
    visits_this_month: int
    screening_done: bool


def field_home(user: Any, grid: Grid, today: date | None = None) -> FieldHome:
    from civicgrid.patrols.models import Finding, Patrol
    from civicgrid.visits.models import Visit

    today = today or timezone.localdate()
    month = today.replace(day=1)
    patrols = Patrol.objects.filter(walker=user, started_at__date__gte=month).count()
    return FieldHome(
        grid=grid,
        due=due_visits(user, today=today),
        patrols_this_month=patrols,
        findings_this_month=Finding.objects.filter(patrol__walker=user, found_at__date__gte=month).count(),
        visits_this_month=Visit.objects.filter(visitor=user, visited_at__date__gte=month).count(),
        screening_done=MonthlyScreening.objects.filter(grid=grid, month=month).exists(),
    )


def screening_context(grid: Grid, today: date | None = None) -> dict[str, Any]:
    """For the monthly screening form: disputes recorded this month and the months already reported."""
    today = today or timezone.localdate()
    month = today.replace(day=1)
    return {
        "month": month,
        "disputes_this_month": Dispute.objects.filter(
            Q(grid=grid) & Q(found_at__year=month.year) & Q(found_at__month=month.month)
        ).count(),
        "recent": list(MonthlyScreening.objects.filter(grid=grid).order_by("-month")[:6]),
    }


def _count(qs: Any) -> Any:
    from django.db.models import Count, IntegerField, Subquery
    from django.db.models.functions import Coalesce

    return Coalesce(Subquery(qs.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), 0)


def field_overview(user: Any, today: date | None = None) -> list[Grid]:
    """The grids of the user's area with this month's field figures, in one query (plus one for due visits)."""
    from django.db.models import Exists, OuterRef

    from civicgrid.accounts.models import User
    from civicgrid.areas.selectors import grids_for
    from civicgrid.firesafety.models import SafetyItem
    from civicgrid.patrols.models import Finding, Patrol
    from civicgrid.visits.models import Visit

    today = today or timezone.localdate()
    month = today.replace(day=1)
    start = timezone.make_aware(datetime.combine(month, time.min))
    grid = OuterRef("pk")
    grids: list[Grid] = list(
        grids_for(user)
        .annotate(
            steward_count=_count(
                User.objects.filter(grid=grid, role=Role.STEWARD, is_active=True).order_by().values("grid")
            ),
            patrol_count=_count(Patrol.objects.filter(grid=grid, started_at__gte=start).order_by().values("grid")),
            finding_count=_count(
                Finding.objects.filter(patrol__grid=grid, found_at__gte=start).order_by().values("patrol__grid")
            ),
            visit_count=_count(Visit.objects.filter(grid=grid, visited_at__gte=start).order_by().values("grid")),
            expired_items=_count(
                SafetyItem.objects.filter(building__grid=grid, expires_on__lte=today)
                .order_by()
                .values("building__grid")
            ),
            screened=Exists(MonthlyScreening.objects.filter(grid=grid, month=month)),
        )
        .defer("boundary")
        .order_by("code")
    )
    due: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for d in due_visits(user, today=today):
        due[d.household.grid_id][0] += 1
        due[d.household.grid_id][1] += 1 if d.overdue_days else 0
    for g in grids:
        g.due_count, g.overdue_count = due[g.pk]  # type: ignore[attr-defined]
    return grids
