"""Reads over party organisations."""

from __future__ import annotations

from typing import Any

from civicgrid.areas.models import Grid

from .models import PartyOrganisation


def party_organisation_of(grid: Grid) -> dict[str, Any] | None:
    """The grid's party organisation with its member count and its party-member volunteers."""
    org = PartyOrganisation.objects.filter(grid=grid).first()
    if org is None:
        return None
    return {
        "organisation": org,
        "member_count": org.members.count(),
        "volunteers": list(org.members.filter(is_volunteer=True).select_related("resident")[:30]),
    }
