"""The street, community and grid pages: the numbers they show, their map data, and their query counts."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Community, Grid
from civicgrid.people.models import Building, CareTag, Household, Resident, Unit

pytestmark = pytest.mark.django_db


def _shown(html: str, testid: str) -> int:
    match = re.search(rf'data-testid="{testid}">(?:<a [^>]*>)?(\d+)', html)
    assert match, testid
    return int(match.group(1))


def _geojson(html: str, script_id: str) -> dict[str, Any]:
    match = re.search(rf'<script id="{script_id}" type="application/json">(.*?)</script>', html, re.S)
    assert match, script_id
    return json.loads(match.group(1))


@pytest.mark.parametrize("code", ["51011600400101", "51011600400203"])
def test_the_grid_page_shows_the_counts_of_the_register(client_as: Any, street_admin: User, code: str) -> None:
    grid = Grid.objects.get(code=code)
    html = client_as(street_admin).get(reverse("areas:grid", args=[grid.pk])).content.decode()
    assert _shown(html, "count-buildings") == Building.objects.filter(grid=grid).count()
    assert _shown(html, "count-households") == Household.objects.filter(grid=grid).count()
    assert _shown(html, "count-residents") == Resident.objects.filter(grid=grid).count()
    assert _shown(html, "count-units") == Unit.objects.filter(grid=grid).count()
    assert _shown(html, "count-stewards") == User.objects.filter(grid=grid, role=Role.STEWARD).count()
    for tag in CareTag.objects.all():
        assert _shown(html, f"care-{tag.code}") == Resident.objects.filter(grid=grid, care_tags=tag).count()


def test_the_grid_page_carries_its_boundary_and_buildings_as_geojson(client_as: Any, worker_a: User) -> None:
    grid = worker_a.grid
    data = _geojson(client_as(worker_a).get(reverse("areas:grid", args=[grid.pk])).content.decode(), "grid-geojson")
    assert data["type"] == "FeatureCollection"
    first, *points = data["features"]
    assert first["geometry"] == grid.boundary
    assert first["properties"]["id"] == grid.pk
    assert first["properties"]["highlight"] is True
    assert first["properties"]["url"] == reverse("areas:grid", args=[grid.pk])
    assert len(points) == Building.objects.filter(grid=grid).exclude(lat=None).count()
    assert all(p["geometry"]["type"] == "Point" for p in points)


def test_the_community_page_totals_its_grids(client_as: Any, staff_a: User) -> None:
    response = client_as(staff_a).get(reverse("areas:community", args=[staff_a.community_id]))
    totals = response.context["totals"]
    in_community = {"grid__community_id": staff_a.community_id}
    assert totals["grids"] == Grid.objects.filter(community_id=staff_a.community_id).count()
    assert totals["residents"] == Resident.objects.filter(**in_community).count()
    assert totals["households"] == Household.objects.filter(**in_community).count()
    assert totals["buildings"] == Building.objects.filter(**in_community).count()
    data = _geojson(response.content.decode(), "community-geojson")
    assert {f["properties"]["id"] for f in data["features"]} == set(
        Grid.objects.filter(community_id=staff_a.community_id).values_list("pk", flat=True)
    )


def test_the_street_page_counts_every_resident_of_the_street(client_as: Any, street_admin: User) -> None:
    response = client_as(street_admin).get(reverse("areas:street", args=[street_admin.street_id]))
    assert (
        response.context["resident_count"]
        == Resident.objects.filter(grid__community__street_id=street_admin.street_id).count()
    )
    assert response.context["grid_count"] == Grid.objects.filter(community__street_id=street_admin.street_id).count()
    counts = {c.pk: c.resident_count for c in response.context["communities"]}
    for community in Community.objects.filter(street_id=street_admin.street_id):
        assert counts[community.pk] == Resident.objects.filter(grid__community=community).count()


# --- query counts do not grow with the size of the place -------------------------------------------------------


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _warm(client: Any) -> Any:
    client.get(reverse("core:home"))  # the first request after logging in stamps the session
    return client


def test_the_grid_page_makes_the_same_number_of_queries_for_a_small_and_a_large_grid(
    client_as: Any, street_admin: User
) -> None:
    small, large = Grid.objects.get(code="51011600400102"), Grid.objects.get(code="51011600400203")
    assert small.residents.count() < large.residents.count()
    client = _warm(client_as(street_admin))
    assert _queries(client, reverse("areas:grid", args=[small.pk])) == _queries(
        client, reverse("areas:grid", args=[large.pk])
    )


def test_the_grid_page_costs_a_stored_number_of_queries_beyond_the_shared_layout(
    client_as: Any, street_admin: User
) -> None:
    # The stored count (netbox-style) of the page's own queries: a new one is a decision, not an accident. It is
    # measured over a page with no content of its own, so that the navigation's queries are not counted here.
    client = _warm(client_as(street_admin))
    layout = _queries(client, reverse("areas:locate"))
    grid = _queries(client, reverse("areas:grid", args=[Grid.objects.get(code="51011600400203").pk]))
    assert grid - layout <= 14


def test_the_community_page_makes_the_same_number_of_queries_for_either_community(
    client_as: Any, street_admin: User
) -> None:
    client = _warm(client_as(street_admin))
    a, b = Community.objects.order_by("code")[:2]
    assert _queries(client, reverse("areas:community", args=[a.pk])) == _queries(
        client, reverse("areas:community", args=[b.pk])
    )


def test_the_resident_list_makes_the_same_number_of_queries_for_a_small_and_a_large_grid(
    client_as: Any, street_admin: User
) -> None:
    small, large = Grid.objects.get(code="51011600400102"), Grid.objects.get(code="51011600400203")
    client = _warm(client_as(street_admin))
    url = reverse("people:residents")
    assert _queries(client, f"{url}?grid={small.pk}") == _queries(client, f"{url}?grid={large.pk}")


def test_the_api_grid_list_makes_the_same_number_of_queries_for_one_grid_or_a_street(
    client_as: Any, worker_a: User, street_admin: User
) -> None:
    one = _queries(_warm(client_as(worker_a)), "/api/v1/areas/grids")
    street = _queries(_warm(client_as(street_admin)), "/api/v1/areas/grids")
    assert one == street
