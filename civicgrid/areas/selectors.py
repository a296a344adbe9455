"""Reads over places, always scoped to what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils.translation import gettext as _

from civicgrid.accounts.choices import ScopeLevel
from civicgrid.core.scoping import NOTHING, scope_by_grid

from .models import Community, Grid, ServicePlace, Street


def streets_for(user: Any) -> QuerySet[Street]:
    qs = Street.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.scope_level == ScopeLevel.NONE:
        return qs.none()
    return qs.filter(
        Q(id=user.street_id) | Q(communities__id=user.community_id) | Q(communities__grids__id=user.grid_id)
    ).distinct()


def communities_for(user: Any) -> QuerySet[Community]:
    qs = Community.objects.select_related("street")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    level = user.scope_level
    if level == ScopeLevel.STREET:
        return qs.filter(street_id=user.street_id)
    if level == ScopeLevel.COMMUNITY:
        return qs.filter(id=user.community_id)
    if level == ScopeLevel.GRID:
        return qs.filter(grids__id=user.grid_id)
    return qs.filter(NOTHING)


def grids_for(user: Any) -> QuerySet[Grid]:
    return scope_by_grid(Grid.objects.select_related("community", "community__street", "leader"), user, grid_path="")


def service_places_for(user: Any) -> QuerySet[ServicePlace]:
    visible = communities_for(user).values("id")
    qs = ServicePlace.objects.filter(community_id__in=visible)
    if user.scope_level == ScopeLevel.GRID and not user.is_superuser:
        qs = qs.filter(Q(grid_id=user.grid_id) | Q(grid__isnull=True))
    return qs


def communities_with_counts(user: Any) -> QuerySet[Community]:
    return communities_for(user).annotate(
        grid_count=Count("grids", distinct=True),
    )


def grids_with_counts(qs: QuerySet[Grid]) -> QuerySet[Grid]:
    """Annotate grids with the counts shown in lists (subqueries, so the counts do not multiply)."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from civicgrid.people.models import Building, Household, Resident, Unit

    def count_of(model: Any) -> Coalesce:
        sub = (
            model.objects.filter(grid_id=OuterRef("pk"))
            .order_by()
            .values("grid_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(sub, output_field=IntegerField()), 0)

    return qs.annotate(
        building_count=count_of(Building),
        household_count=count_of(Household),
        resident_count=count_of(Resident),
        unit_count=count_of(Unit),
    )


@dataclass
class Location:
    """The answer to "which grid is this?": the grid (or None) and a sentence for the user."""

    grid: Grid | None
    message: str
    building_name: str | None = None

    def as_dict(self) -> dict[str, Any]:
        g = self.grid
        return {
            "found": g is not None,
            "grid_id": g.id if g else None,
            "grid_code": g.code if g else None,
            "grid_name": g.name if g else None,
            "community_name": g.community.name if g else None,
            "building": self.building_name,
            "message": self.message,
        }


def resolve_location(*, lat: float | None = None, lng: float | None = None, address: str = "") -> Location:
    """Resolve a point or a standard address to its grid. Raises ServiceError for unusable input."""
    from civicgrid.core.errors import ServiceError
    from civicgrid.people.models import Building

    from .locator import get_locator

    address = address.strip()
    if lat is None and lng is None and not address:
        raise ServiceError(_("Location: give a latitude and longitude, or an address."), field="lat")
    if address:
        building = Building.objects.select_related("grid__community").filter(address=address).first()
        if building is None:
            # Not an exact standard address: accept it when exactly one standard address contains it.
            candidates = list(Building.objects.select_related("grid__community").filter(address__contains=address)[:2])
            building = candidates[0] if len(candidates) == 1 else None
        if building is None:
            return Location(None, _("No standard address matches “%(a)s”.") % {"a": address})
        return Location(building.grid, _("Address is in grid %(g)s.") % {"g": building.grid.name}, building.name)
    if lat is None or lng is None:
        raise ServiceError(
            _("Location: both latitude and longitude are needed."), field="lng" if lng is None else "lat"
        )
    if not (-90 <= lat <= 90):
        raise ServiceError(_("Latitude must be between -90 and 90."), field="lat")
    if not (-180 <= lng <= 180):
        raise ServiceError(_("Longitude must be between -180 and 180."), field="lng")
    grid_id = get_locator().locate(lng, lat)
    if grid_id is None:
        return Location(None, _("The point (%(lat).6f, %(lng).6f) is outside every grid.") % {"lat": lat, "lng": lng})
    grid = Grid.objects.select_related("community").get(pk=grid_id)
    return Location(grid, _("The point is in grid %(g)s.") % {"g": grid.name})


def feature_collection(grids: QuerySet[Grid], highlight_id: int | None = None) -> dict[str, Any]:
    """Grids as a GeoJSON FeatureCollection for the map, each linking to its grid page."""
    from django.urls import reverse

    features = [
        {
            "type": "Feature",
            "geometry": g["boundary"],
            "properties": {
                "id": g["id"],
                "name": g["name"],
                "code": g["code"],
                "url": reverse("areas:grid", args=[g["id"]]),
                "highlight": g["id"] == highlight_id,
            },
        }
        for g in grids.exclude(boundary=None).values("id", "name", "code", "boundary")
    ]
    return {"type": "FeatureCollection", "features": features}
