"""API over places: streets, communities, grids (with GeoJSON), and point → grid look-ups."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from civicgrid.core.errors import access_object, require

from . import selectors

router = Router(tags=["areas"])


class CommunityOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    street_id: int


class GridOut(Schema):
    id: int
    code: str
    name: str
    community_id: int
    centroid_lat: float | None
    centroid_lng: float | None


class GridDetailOut(GridOut):
    boundary: dict[str, Any] | None
    building_count: int
    household_count: int
    resident_count: int
    unit_count: int


class LocateOut(Schema):
    found: bool
    grid_id: int | None = None
    grid_code: str | None = None
    grid_name: str | None = None
    community_name: str | None = None
    building: str | None = None
    message: str


@router.get("/communities", response=list[CommunityOut])
def list_communities(request: HttpRequest) -> Any:
    require(request.user, "areas.list_places")
    return selectors.communities_for(request.user)


@router.get("/grids", response=list[GridOut])
def list_grids(request: HttpRequest, community_id: int | None = None) -> Any:
    require(request.user, "areas.list_places")
    qs = selectors.grids_for(request.user)
    if community_id:
        qs = qs.filter(community_id=community_id)
    return qs


@router.get("/grids/{grid_id}", response=GridDetailOut)
def get_grid(request: HttpRequest, grid_id: int) -> Any:
    return access_object(
        request.user, "areas.view_grid", selectors.grids_with_counts(selectors.grids_for(request.user)), pk=grid_id
    )


@router.get("/locate", response=LocateOut)
def locate(request: HttpRequest, lat: float | None = None, lng: float | None = None, address: str = "") -> Any:
    """Which grid contains a point (lat, lng) or a standard address."""
    require(request.user, "areas.locate")
    return selectors.resolve_location(lat=lat, lng=lng, address=address).as_dict()
