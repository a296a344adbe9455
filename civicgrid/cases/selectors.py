"""Reads over cases, scoped: area staff see their area's cases, responders the cases sent to their unit."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Case as When_
from django.db.models import IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from civicgrid.accounts.choices import Role, ScopeLevel
from civicgrid.core.scoping import NOTHING, grid_scope_q

from .choices import OPEN_STATUSES, Status
from .models import Case, CaseEvent

BASE_RELATED = ("category", "grid", "community", "owner", "responder")


def cases_for(user: Any) -> QuerySet[Case]:
    qs = Case.objects.select_related(*BASE_RELATED)
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.RESPONDER:
        return qs.filter(
            Q(responder_id=user.responder_id) | Q(whistles__summons__responder_id=user.responder_id)
        ).distinct()
    if user.role == Role.RESIDENT:
        return qs.filter(reporter_id=user.id)
    level = user.scope_level
    if level == ScopeLevel.NONE:
        return qs.filter(NOTHING)
    q = grid_scope_q(user, "grid") | Q(owner_id=user.id)
    if level == ScopeLevel.STREET:
        # Cases outside every grid have no community; they belong to the street admins.
        q |= Q(grid__isnull=True)
    return qs.filter(q)


def cases_for_street(street_id: int) -> QuerySet[Case]:
    """What an integration holding a street's API key reads: the street's cases and those outside every grid
    (as its street admins see them, see `cases_for`)."""
    return Case.objects.select_related(*BASE_RELATED).filter(Q(community__street_id=street_id) | Q(grid__isnull=True))


def _overdue_first(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.annotate(
        _rank=When_(
            When(overdue=True, then=Value(0)),
            When(warned_at__isnull=False, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    ).order_by("_rank", "resolve_due_at", "accept_due_at", "created_at")


def worker_inbox(user: Any) -> QuerySet[Case]:
    """The grid worker's inbox: open cases of their grid (and any they own), overdue first."""
    return _overdue_first(cases_for(user).filter(status__in=OPEN_STATUSES))


def dispatcher_board(user: Any) -> QuerySet[Case]:
    """Community staff: every open or parked case of the community, overdue first."""
    return _overdue_first(cases_for(user).filter(status__in=(*OPEN_STATUSES, Status.PARKED)))


def responder_queue(user: Any) -> QuerySet[Case]:
    return _overdue_first(
        cases_for(user).filter(status__in=(Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS, Status.RESOLVED))
    )


def case_timeline(case: Case, *, public_only: bool = False) -> QuerySet[CaseEvent]:
    qs = case.events.select_related("actor").prefetch_related("attachments")
    return qs.filter(public=True) if public_only else qs


def case_by_tracking_code(code: str) -> Case | None:
    case = (
        Case.objects.select_related("category", "grid", "community", "merged_into")
        .filter(tracking_code=code.strip().upper())
        .first()
    )
    # A merged case is tracked through the surviving one.
    seen = 0
    while case is not None and case.merged_into_id is not None and seen < 5:
        case = Case.objects.select_related("category", "grid", "community", "merged_into").get(pk=case.merged_into_id)
        seen += 1
    return case


def _metres(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def text_similarity(a: str, b: str) -> float:
    """Jaccard similarity of character bigrams: robust for short Chinese reports with typos."""
    ga = {a[i : i + 2] for i in range(len(a) - 1)}
    gb = {b[i : i + 2] for i in range(len(b) - 1)}
    if not ga or not gb:
        return 0.0
    return len(ga & gb) / len(ga | gb)


def possible_duplicates(
    *,
    category_id: int,
    description: str,
    lat: float | None,
    lng: float | None,
    grid_id: int | None = None,
    exclude_id: int | None = None,
    now: datetime | None = None,
    radius_m: float = 250,
    days: int = 30,
    min_similarity: float = 0.15,
) -> list[tuple[Case, float, float | None]]:
    """Open cases of the same category within 250 m (or the same grid when there is no point) in the last 30 days,
    with similar text: (case, similarity, distance in metres), most similar first."""
    now = now or timezone.now()
    qs = Case.objects.filter(
        category_id=category_id, status__in=OPEN_STATUSES, created_at__gte=now - timedelta(days=days)
    )
    if exclude_id:
        qs = qs.exclude(pk=exclude_id)
    if lat is not None and lng is not None:
        dlat = radius_m / 111_000
        dlng = radius_m / (111_000 * max(math.cos(math.radians(lat)), 0.01))
        qs = qs.filter(lat__range=(lat - dlat, lat + dlat), lng__range=(lng - dlng, lng + dlng))
    elif grid_id:
        qs = qs.filter(grid_id=grid_id)
    else:
        return []
    out = []
    for case in qs.select_related("category")[:200]:
        distance = (
            _metres(lat, lng, case.lat, case.lng)
            if (lat is not None and lng is not None and case.lat is not None and case.lng is not None)
            else None
        )
        if distance is not None and distance > radius_m:
            continue
        sim = text_similarity(description, case.description)
        if sim >= min_similarity:
            out.append((case, sim, distance))
    out.sort(key=lambda t: -t[1])
    return out[:5]
