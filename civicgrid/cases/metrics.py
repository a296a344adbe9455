"""Case metrics (考核指标): the one selector every dashboard reuses. The formulas are in docs/cases.md.

`case_metrics(user_or_cases, start=…, end=…, group_by=…)` counts the cases *received* in [start, end) — their
state now — in one SQL query with conditional aggregation (COUNT … FILTER on PostgreSQL, COUNT(CASE WHEN …) on
SQLite), per grid, community, responder unit or category, or in total. Merged cases are duplicates of another
case and are left out everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Literal

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.utils.translation import gettext as _

from .calendar import TZ
from .choices import OPEN_STATUSES, Satisfaction, Status
from .models import Case

GroupBy = Literal["grid", "community", "responder", "category"] | None

# group_by → (the key column, the label column(s))
GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "grid": ("grid_id", ("grid__community__name", "grid__name")),
    "community": ("community_id", ("community__name",)),
    "responder": ("responder_id", ("responder__name",)),
    "category": ("category_id", ("category__code", "category__name_zh")),
}

CLOSED = Q(status__in=(Status.CLOSED, Status.SURVEYED))
RESOLVED_ONCE = Q(resolved_at__isnull=False) | Q(rework_count__gt=0) | Q(redo_count__gt=0)

# Every count the rates are made of: name → the condition a case meets to be counted.
COUNTS: dict[str, Q] = {
    "received": Q(),
    "rejected": Q(status=Status.REJECTED),
    "accepted": Q(accepted_at__isnull=False),
    "accepted_on_time": Q(accepted_on_time=True),
    "waiting_overdue": Q(status=Status.SUBMITTED, overdue=True),
    "closed": CLOSED,
    "closed_on_time": CLOSED & Q(resolved_on_time=True),
    "open_overdue": Q(status__in=OPEN_STATUSES, overdue=True),
    "parked": Q(status=Status.PARKED),
    "surveyed": ~Q(satisfaction=""),
    "satisfied": Q(satisfaction=Satisfaction.SATISFIED),
    "basically_satisfied": Q(satisfaction=Satisfaction.BASIC),
    "resolved_once": RESOLVED_ONCE,
    "reworked": Q(rework_count__gt=0),
    "closed_once": CLOSED | Q(redo_count__gt=0),
    "redone": Q(redo_count__gt=0),
    "dispatched": Q(responder__isnull=False) | Q(return_count__gt=0),
    "returned": Q(return_count__gt=0),
    "extended": Q(extension_count__gt=0),
    "on_the_spot": Q(on_the_spot=True),
}


def _rate(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 4) if denominator else None


@dataclass(frozen=True)
class CaseMetrics:
    """The counts of one group (or of all cases) and the rates made of them; a rate is None when nothing counts."""

    group: int | None
    label: str
    received: int
    rejected: int
    accepted: int
    accepted_on_time: int
    waiting_overdue: int
    closed: int
    closed_on_time: int
    open_overdue: int
    parked: int
    surveyed: int
    satisfied: int
    basically_satisfied: int
    resolved_once: int
    reworked: int
    closed_once: int
    redone: int
    dispatched: int
    returned: int
    extended: int
    on_the_spot: int
    avg_handling_hours: float | None

    @property
    def accept_rate(self) -> float | None:
        """响应率: accepted within the accept limit / (accepted + still waiting past the limit)."""
        return _rate(self.accepted_on_time, self.accepted + self.waiting_overdue)

    @property
    def on_time_rate(self) -> float | None:
        """按期办结率 (Austin 311): closed on time / (closed + open and overdue)."""
        return _rate(self.closed_on_time, self.closed + self.open_overdue)

    @property
    def resolution_rate(self) -> float | None:
        """解决率: closed / valid cases (received − rejected)."""
        return _rate(self.closed, self.received - self.rejected)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率: (satisfied + basically satisfied) / rated."""
        return _rate(self.satisfied + self.basically_satisfied, self.surveyed)

    @property
    def rework_rate(self) -> float | None:
        """返工率: sent back for rework at least once / resolved at least once."""
        return _rate(self.reworked, self.resolved_once)

    @property
    def redo_rate(self) -> float | None:
        """重办率: redone after an unsatisfied rating / closed at least once."""
        return _rate(self.redone, self.closed_once)

    @property
    def return_rate(self) -> float | None:
        """回退率: returned by a responder unit at least once / dispatched to a unit at least once."""
        return _rate(self.returned, self.dispatched)

    @property
    def extension_rate(self) -> float | None:
        """延期率: given more time at least once / accepted."""
        return _rate(self.extended, self.accepted)

    @property
    def closure_rate(self) -> float | None:
        """结案率: (closed + rejected) / received."""
        return _rate(self.closed + self.rejected, self.received)

    def rates(self) -> dict[str, float | None]:
        return {
            "accept_rate": self.accept_rate,
            "on_time_rate": self.on_time_rate,
            "resolution_rate": self.resolution_rate,
            "satisfaction_rate": self.satisfaction_rate,
            "rework_rate": self.rework_rate,
            "redo_rate": self.redo_rate,
            "return_rate": self.return_rate,
            "extension_rate": self.extension_rate,
            "closure_rate": self.closure_rate,
        }


def _moment(value: date | datetime) -> datetime:
    """A date means its midnight in Chengdu."""
    if isinstance(value, datetime):
        return value
    return datetime.combine(value, time(0, 0), TZ)


def _scope(user_or_cases: Any) -> QuerySet[Case]:
    if isinstance(user_or_cases, QuerySet):
        qs = user_or_cases
    else:
        from .selectors import cases_for

        qs = cases_for(user_or_cases)
    if qs.query.distinct:
        # A scope that joins a many-valued relation (a responder sees the cases it was summoned to by a whistle)
        # would count a case once per join row: count each case once, through a subquery (still one query).
        qs = Case.objects.filter(pk__in=qs.values("pk"))
    return qs


def case_metrics(
    user_or_cases: Any,
    *,
    start: date | datetime,
    end: date | datetime,
    group_by: GroupBy = None,
) -> list[CaseMetrics]:
    """The metrics of the cases received in [start, end) that `user_or_cases` covers (a user: the cases they may
    see; a queryset: those cases), in total (`group_by=None`: one row) or per group, ordered by label.

    One query, whatever the number of cases or groups.
    """
    qs = (
        _scope(user_or_cases)
        .filter(created_at__gte=_moment(start), created_at__lt=_moment(end))
        .exclude(status=Status.MERGED)
        .order_by()
    )
    aggregates: dict[str, Any] = {
        name: Count("pk", filter=condition) if condition else Count("pk") for name, condition in COUNTS.items()
    }
    aggregates["avg_handling"] = Avg(
        ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()), filter=CLOSED
    )
    if group_by is None:
        row = qs.aggregate(**aggregates)
        return [_row(None, _("All cases"), row)]
    if group_by not in GROUPS:
        raise ValueError(f"group_by must be one of {sorted(GROUPS)} or None")
    key, labels = GROUPS[group_by]
    rows = qs.values(key, *labels).annotate(**aggregates)
    out = [_row(r[key], _label(group_by, [r[c] for c in labels]), r) for r in rows]
    out.sort(key=lambda m: (m.group is None, m.label))
    return out


def _label(group_by: str, parts: list[Any]) -> str:
    if parts[0] is None:
        return {
            "grid": _("Outside every grid"),
            "community": _("Outside every community"),
            "responder": _("Not dispatched to a unit"),
        }.get(group_by, "—")
    return " ".join(str(p) for p in parts)


def _row(group: int | None, label: str, row: dict[str, Any]) -> CaseMetrics:
    avg = row["avg_handling"]
    return CaseMetrics(
        group=group,
        label=label,
        avg_handling_hours=round(avg.total_seconds() / 3600, 2) if avg is not None else None,
        **{name: row[name] or 0 for name in COUNTS},
    )
