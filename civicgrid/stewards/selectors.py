"""The steward roster of a grid, with each steward's record."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.accounts.selectors import users_for

from .models import StewardApplication


def applications_for(user: Any) -> QuerySet[StewardApplication]:
    qs = StewardApplication.objects.select_related("applicant", "community", "grid")
    if user.is_superuser:
        return qs
    if user.role == Role.STREET_ADMIN:
        return qs.filter(community__street_id=user.street_id)
    if user.role == Role.COMMUNITY_STAFF:
        return qs.filter(community_id=user.community_id)
    return qs.filter(applicant_id=user.id)


def steward_roster(user: Any, grid_id: int) -> QuerySet[User]:
    """Stewards of a grid with patrols, findings, cases raised and solved, and patrol hours — in one query."""
    from civicgrid.cases.models import Case
    from civicgrid.patrols.models import Finding, Patrol

    def count(qs: QuerySet[Any]) -> Coalesce:
        return Coalesce(Subquery(qs.values("n")[:1], output_field=IntegerField()), 0)

    patrols = Patrol.objects.filter(walker=OuterRef("pk")).order_by().values("walker").annotate(n=Count("id"))
    findings = (
        Finding.objects.filter(patrol__walker=OuterRef("pk"))
        .order_by()
        .values("patrol__walker")
        .annotate(n=Count("id"))
    )
    raised = Case.objects.filter(recorded_by=OuterRef("pk")).order_by().values("recorded_by").annotate(n=Count("id"))
    solved = (
        Case.objects.filter(Q(recorded_by=OuterRef("pk")) & Q(status__in=["closed", "surveyed"]))
        .order_by()
        .values("recorded_by")
        .annotate(n=Count("id"))
    )
    return (
        users_for(user)
        .filter(role=Role.STEWARD, grid_id=grid_id)
        .annotate(
            patrol_count=count(patrols),
            finding_count=count(findings),
            cases_raised=count(raised),
            cases_solved=count(solved),
        )
        .order_by("display_name")
    )


def patrol_minutes(user_ids: list[int]) -> dict[int, int]:
    """Total patrol minutes per walker (finished patrols)."""
    from civicgrid.patrols.models import Patrol

    out: dict[int, int] = {}
    for walker_id, started, finished in Patrol.objects.filter(
        walker_id__in=user_ids, finished_at__isnull=False
    ).values_list("walker_id", "started_at", "finished_at"):
        if finished is not None:  # filtered above; the check is for the type checker
            out[walker_id] = out.get(walker_id, 0) + int((finished - started).total_seconds() // 60)
    return out
