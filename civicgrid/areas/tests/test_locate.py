"""Which grid is this? A point or a standard address resolved to its grid, with a sentence for the user."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from django.urls import reverse
from django.utils.translation import gettext as _
from shapely.geometry import shape

from civicgrid.areas.locator import GridLocator
from civicgrid.areas.models import Grid
from civicgrid.areas.selectors import resolve_location
from civicgrid.core.errors import ServiceError
from civicgrid.people.models import Building


def square(x: float, y: float, size: float = 1.0) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def four_squares() -> GridLocator:
    """Ids deliberately out of order, so that "the lowest id wins" is not "the first listed wins"."""
    return GridLocator.from_boundaries([(40, square(0, 0)), (30, square(1, 0)), (20, square(0, 1)), (10, square(1, 1))])


# --- the locator ---------------------------------------------------------------------------------------------


def test_a_point_inside_a_grid_is_in_that_grid(four_squares: GridLocator) -> None:
    assert four_squares.locate(0.5, 0.5) == 40
    assert four_squares.locate(1.5, 0.5) == 30
    assert four_squares.locate(1.5, 1.5) == 10


def test_a_point_outside_every_grid_is_in_none(four_squares: GridLocator) -> None:
    assert four_squares.locate(5.0, 5.0) is None
    assert four_squares.locate(-0.001, 0.5) is None


def test_a_point_on_a_shared_edge_goes_to_the_lowest_id(four_squares: GridLocator) -> None:
    assert four_squares.locate(1.0, 0.5) == 30  # between 40 and 30
    assert four_squares.locate(0.5, 1.0) == 20  # between 40 and 20
    assert four_squares.locate(1.0, 1.0) == 10  # the corner all four share


def test_a_point_on_the_outer_edge_is_in_the_grid(four_squares: GridLocator) -> None:
    assert four_squares.locate(0.0, 0.5) == 40


def test_a_multipolygon_grid_is_found_in_each_of_its_parts() -> None:
    multi = {"type": "MultiPolygon", "coordinates": [square(0, 0)["coordinates"], square(5, 5)["coordinates"]]}
    locator = GridLocator.from_boundaries([(1, multi)])
    assert locator.locate(0.5, 0.5) == locator.locate(5.5, 5.5) == 1
    assert locator.locate(3.0, 3.0) is None


def test_locate_many_agrees_with_locate_point_by_point(four_squares: GridLocator) -> None:
    rng = np.random.default_rng(7)
    lngs = np.concatenate([rng.uniform(-0.5, 2.5, 500), [1.0, 0.5, 1.0, 0.0, 2.0, 3.0]])
    lats = np.concatenate([rng.uniform(-0.5, 2.5, 500), [0.5, 1.0, 1.0, 0.5, 2.0, 3.0]])
    many = four_squares.locate_many(lngs, lats)
    one_by_one = [four_squares.locate(x, y) for x, y in zip(lngs, lats, strict=True)]
    assert [None if v == -1 else int(v) for v in many] == one_by_one
    assert (many == -1).any() and (many == 10).any()


def test_an_empty_locator_finds_nothing() -> None:
    locator = GridLocator.from_boundaries([])
    assert locator.locate(0.0, 0.0) is None
    assert list(locator.locate_many(np.array([0.0]), np.array([0.0]))) == [-1]


# --- resolving a point or an address in the demo street ------------------------------------------------------


@pytest.mark.django_db
def test_a_point_inside_grid_a_resolves_to_grid_a(grid_a: Grid) -> None:
    p = shape(grid_a.boundary).representative_point()
    location = resolve_location(lat=p.y, lng=p.x)
    assert location.grid == grid_a
    assert grid_a.name in location.message
    assert location.as_dict()["grid_code"] == grid_a.code


@pytest.mark.django_db
def test_every_seeded_building_resolves_to_its_own_grid_by_its_coordinates() -> None:
    for b in Building.objects.exclude(lat=None).select_related("grid"):
        assert resolve_location(lat=b.lat, lng=b.lng).grid == b.grid, b.address


@pytest.mark.django_db
def test_a_point_outside_every_grid_resolves_to_nothing_and_says_so() -> None:
    location = resolve_location(lat=39.9042, lng=116.4074)  # Beijing
    assert location.grid is None
    assert location.message == _("The point (%(lat).6f, %(lng).6f) is outside every grid.") % {
        "lat": 39.9042,
        "lng": 116.4074,
    }
    assert location.as_dict()["found"] is False


@pytest.mark.django_db
def test_a_standard_address_resolves_to_the_grid_of_its_building(grid_b: Grid) -> None:
    building = Building.objects.filter(grid=grid_b).order_by("id")[0]
    location = resolve_location(address=f"  {building.address} ")
    assert location.grid == grid_b
    assert location.building_name == building.name


@pytest.mark.django_db
def test_part_of_an_address_is_accepted_when_exactly_one_standard_address_contains_it(grid_a: Grid) -> None:
    Building.objects.create(grid=grid_a, code="T-1", name="晴园3栋", address="双流区九江街道测试路88号晴园3栋")
    location = resolve_location(address="测试路88号")
    assert location.grid == grid_a
    assert location.building_name == "晴园3栋"


@pytest.mark.django_db
def test_part_of_an_address_that_several_addresses_contain_is_not_guessed() -> None:
    assert Building.objects.filter(address__contains="九江街道").count() > 1
    location = resolve_location(address="九江街道")
    assert location.grid is None
    assert location.message == _("No standard address matches “%(a)s”.") % {"a": "九江街道"}


@pytest.mark.django_db
def test_an_unknown_address_says_no_standard_address_matches() -> None:
    location = resolve_location(address="火星路1号")
    assert location.grid is None
    assert location.message == _("No standard address matches “%(a)s”.") % {"a": "火星路1号"}


@pytest.mark.parametrize(
    ("kw", "field", "words"),
    [
        ({"lat": 95.0, "lng": 103.88}, "lat", "Latitude"),
        ({"lat": -90.5, "lng": 103.88}, "lat", "Latitude"),
        ({"lat": 30.55, "lng": 200.0}, "lng", "Longitude"),
        ({"lat": 30.55}, "lng", "longitude"),
        ({"lng": 103.88}, "lat", "latitude"),
        ({}, "lat", "latitude"),
    ],
)
def test_unusable_input_is_refused_with_a_message_naming_the_coordinate(
    kw: dict[str, float], field: str, words: str
) -> None:
    with pytest.raises(ServiceError) as exc:
        resolve_location(**kw)
    assert exc.value.field == field
    assert _(words) in exc.value.message


@pytest.mark.django_db
def test_the_locate_page_names_latitude_when_it_is_out_of_range(client_as: Any, worker_a: Any) -> None:
    response = client_as(worker_a).get(reverse("areas:locate"), {"lat": "95", "lng": "103.88"})
    assert response.status_code == 200
    assert response.context["form"].errors["lat"]
    assert response.context["result"] is None


@pytest.mark.django_db
def test_the_locate_page_shows_the_grid_of_a_point(client_as: Any, worker_a: Any, grid_b: Grid) -> None:
    p = shape(grid_b.boundary).representative_point()
    response = client_as(worker_a).get(reverse("areas:locate"), {"lat": p.y, "lng": p.x})
    assert response.context["result"].grid == grid_b
    assert reverse("areas:grid", args=[grid_b.pk]) in response.content.decode()


@pytest.mark.django_db
def test_the_locate_api_answers_400_naming_latitude(client_as: Any, worker_a: Any) -> None:
    response = client_as(worker_a).get("/api/v1/areas/locate", {"lat": 95, "lng": 103.88})
    assert response.status_code == 400
    assert response.json()["field"] == "lat"
    assert _("Latitude") in response.json()["detail"]


@pytest.mark.django_db
def test_the_locate_api_resolves_an_address(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    building = Building.objects.filter(grid=grid_a).order_by("id")[0]
    body = client_as(worker_a).get("/api/v1/areas/locate", {"address": building.address}).json()
    assert body["found"] is True
    assert (body["grid_id"], body["building"]) == (grid_a.pk, building.name)
