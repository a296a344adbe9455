"""Which households are due (or overdue) for a visit, from their members' care groups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Max, Min, QuerySet
from django.utils import timezone

from civicgrid.core.scoping import scope_by_grid
from civicgrid.people.models import Household

from .models import Visit


def visits_for(user: Any) -> QuerySet[Visit]:
    return scope_by_grid(Visit.objects.select_related("household__house__building", "visitor", "grid"), user)


@dataclass
class DueVisit:
    household: Household
    every_days: int
    last_visit: date | None
    due_on: date
    overdue_days: int


def due_visits(user: Any, *, today: date | None = None, within_days: int = 7) -> list[DueVisit]:
    """Households with a care-group member whose next visit falls within `within_days` (or is overdue), most overdue first.

    The frequency is the shortest one among the members' care groups (e.g. elderly living alone: weekly)."""
    today = today or timezone.localdate()
    qs = (
        scope_by_grid(Household.objects.all(), user)
        .filter(members__care_tags__isnull=False)
        .annotate(every_days=Min("members__care_tags__visit_every_days"), last_visit=Max("visits__visited_at"))
        .select_related("house__building", "grid")
    )
    out = []
    for h in qs:
        last = timezone.localtime(h.last_visit).date() if h.last_visit else None
        due_on = (last + timedelta(days=h.every_days)) if last else today
        if due_on <= today + timedelta(days=within_days):
            out.append(DueVisit(h, h.every_days, last, due_on, max((today - due_on).days, 0)))
    out.sort(key=lambda d: (d.due_on, d.household.code))
    return out
