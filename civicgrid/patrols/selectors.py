"""Reads over patrols and the checklist, scoped to the user's area."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet

from civicgrid.core.scoping import scope_by_grid

from .models import ChecklistItem, Finding, Patrol


def checklist_for(street_id: int | None) -> QuerySet[ChecklistItem]:
    """The street's own checklist once it has edited it, else the shipped defaults."""
    if street_id is not None:
        own = ChecklistItem.objects.filter(street_id=street_id, active=True)
        if own.exists():
            return own.select_related("category")
    return ChecklistItem.objects.filter(street__isnull=True, active=True).select_related("category")


def patrols_for(user: Any) -> QuerySet[Patrol]:
    return scope_by_grid(Patrol.objects.select_related("grid", "walker"), user).annotate(
        finding_count=Count("findings")
    )


def findings_for(user: Any) -> QuerySet[Finding]:
    return scope_by_grid(Finding.objects.select_related("item", "patrol__grid", "case"), user, grid_path="patrol__grid")
