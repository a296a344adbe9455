"""Reads over responder units."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from civicgrid.areas.models import Grid

from .models import Responder


def responders_serving(grid: Grid, kind: str | None = None) -> QuerySet[Responder]:
    """Units serving a grid: named for the grid, for its community, or for the whole street (no area set)."""
    qs = Responder.objects.filter(street_id=grid.community.street_id, active=True).filter(
        Q(grids=grid) | Q(communities=grid.community_id) | (Q(grids__isnull=True) & Q(communities__isnull=True))
    )
    if kind:
        qs = qs.filter(kind=kind)
    return qs.distinct()
