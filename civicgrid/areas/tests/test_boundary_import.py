"""Importing grid boundaries from GeoJSON: all problems listed at once, nothing written unless all is well."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import gettext as _
from shapely.geometry import mapping, shape

from civicgrid.areas import locator
from civicgrid.areas.models import Community, Grid
from civicgrid.areas.selectors import resolve_location
from civicgrid.areas.services import BoundaryImportError, import_boundaries
from civicgrid.audit.models import AuditEvent
from civicgrid.core.errors import NotAllowed

pytestmark = pytest.mark.django_db

# Open ground east of the demo street's grids (they lie between longitudes 103.880 and 103.888).
EAST = 103.90
NORTH = 30.56


@pytest.fixture(autouse=True)
def _fresh_locator_afterwards() -> Iterator[None]:
    # An import invalidates the process-wide locator on commit; the test's rows are rolled back afterwards,
    # so rebuild it from the seeded boundaries for the tests that follow.
    yield
    locator.invalidate()


@pytest.fixture
def community_a(staff_a: Any) -> Community:
    return staff_a.community


def square(x: float, y: float, size: float = 0.003) -> dict[str, Any]:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(code: str, name: str, community_code: str, geometry: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "type": "Feature",
        "properties": {"code": code, "name": name, "community_code": community_code},
        "geometry": geometry,
    }


def collection(*features: dict[str, Any]) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}, ensure_ascii=False).encode()


def _imports() -> Any:
    return AuditEvent.objects.filter(action="areas.import_boundaries")


def test_an_import_updates_an_existing_grid_and_is_audited(street_admin: Any, grid_a: Grid) -> None:
    shrunk = mapping(shape(grid_a.boundary).buffer(-0.0005))
    summary = import_boundaries(
        street_admin, collection(feature(grid_a.code, "第一网格（调整）", "510116004001", shrunk))
    )
    assert summary == {"created": 0, "updated": 1}
    grid_a.refresh_from_db()
    assert grid_a.name == "第一网格（调整）"
    assert shape(grid_a.boundary).equals(shape(shrunk))
    c = shape(shrunk).centroid
    assert (grid_a.centroid_lng, grid_a.centroid_lat) == pytest.approx((c.x, c.y), abs=1e-6)
    assert _imports().get().after == {"created": 0, "updated": 1}


def test_an_import_creates_a_new_grid_and_the_locator_sees_it(
    street_admin: Any, community_a: Community, django_capture_on_commit_callbacks: Any
) -> None:
    code = f"{community_a.code}09"
    assert resolve_location(lat=NORTH + 0.0015, lng=EAST + 0.0015).grid is None
    with django_capture_on_commit_callbacks(execute=True):
        summary = import_boundaries(
            street_admin, collection(feature(code, "第九网格", community_a.code, square(EAST, NORTH)))
        )
    assert summary == {"created": 1, "updated": 0}
    grid = Grid.objects.get(code=code)
    assert (grid.community, grid.seq) == (community_a, 9)
    assert resolve_location(lat=NORTH + 0.0015, lng=EAST + 0.0015).grid == grid


def test_every_problem_is_listed_and_nothing_is_written(
    street_admin: Any, grid_a: Grid, community_a: Community
) -> None:
    inside_a = shape(grid_a.boundary).representative_point()
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[EAST, NORTH], [EAST + 0.003, NORTH + 0.003], [EAST + 0.003, NORTH], [EAST, NORTH + 0.003], [EAST, NORTH]]
        ],
    }
    raw = collection(
        feature(f"{community_a.code}10", "重叠网格", community_a.code, square(inside_a.x, inside_a.y, 0.001)),
        feature(f"{community_a.code}11", "自交网格", community_a.code, bow_tie),
        feature("51011600499901", "无主网格", "510116004999", square(EAST + 0.01, NORTH)),
        feature("99999901", "错码网格", community_a.code, square(EAST + 0.02, NORTH)),
        feature(f"{community_a.code}12", "好网格", community_a.code, square(EAST + 0.03, NORTH)),
    )
    grids_before, boundary_before = Grid.objects.count(), grid_a.boundary
    with pytest.raises(BoundaryImportError) as exc:
        import_boundaries(street_admin, raw)
    found = {(p.row, p.field) for p in exc.value.problems}
    assert found == {(1, "geometry"), (2, "geometry"), (3, "community_code"), (4, "code")}
    messages = {p.row: p.message for p in exc.value.problems}
    assert grid_a.code in messages[1]  # names the grid it overlaps
    assert _("polygon is invalid (self-intersecting or unclosed)") in messages[2]
    assert "510116004999" in messages[3]
    assert community_a.code in messages[4]  # says what the code must start with
    assert Grid.objects.count() == grids_before
    grid_a.refresh_from_db()
    assert grid_a.boundary == boundary_before
    assert not _imports().exists()


def test_two_new_grids_overlapping_each_other_are_refused(street_admin: Any, community_a: Community) -> None:
    raw = collection(
        feature(f"{community_a.code}10", "甲", community_a.code, square(EAST, NORTH)),
        feature(f"{community_a.code}11", "乙", community_a.code, square(EAST + 0.001, NORTH)),
    )
    with pytest.raises(BoundaryImportError) as exc:
        import_boundaries(street_admin, raw)
    assert [p.field for p in exc.value.problems] == ["geometry"]


def test_neighbours_that_only_touch_are_accepted(street_admin: Any, community_a: Community) -> None:
    raw = collection(
        feature(f"{community_a.code}10", "甲", community_a.code, square(EAST, NORTH)),
        feature(f"{community_a.code}11", "乙", community_a.code, square(EAST + 0.003, NORTH)),
    )
    assert import_boundaries(street_admin, raw) == {"created": 2, "updated": 0}


def test_a_code_appearing_twice_in_the_file_is_a_problem(street_admin: Any, community_a: Community) -> None:
    code = f"{community_a.code}10"
    raw = collection(
        feature(code, "甲", community_a.code, square(EAST, NORTH)),
        feature(code, "乙", community_a.code, square(EAST + 0.01, NORTH)),
    )
    with pytest.raises(BoundaryImportError) as exc:
        import_boundaries(street_admin, raw)
    assert [(p.row, p.field) for p in exc.value.problems] == [(2, "code")]


@pytest.mark.parametrize(
    "raw",
    [b"not json", b'{"type": "Feature"}', b"[]", b'{"type": "FeatureCollection"}'],
)
def test_a_file_that_is_not_a_feature_collection_is_refused(street_admin: Any, raw: bytes) -> None:
    with pytest.raises(BoundaryImportError) as exc:
        import_boundaries(street_admin, raw)
    assert [p.row for p in exc.value.problems] == [0]


def test_community_staff_cannot_import_a_grid_of_another_community(staff_b: Any, community_a: Community) -> None:
    raw = collection(feature(f"{community_a.code}10", "越界", community_a.code, square(EAST, NORTH)))
    with pytest.raises(BoundaryImportError) as exc:
        import_boundaries(staff_b, raw)
    assert [p.field for p in exc.value.problems] == ["community_code"]


def test_a_grid_worker_cannot_import_boundaries(worker_a: Any, community_a: Community) -> None:
    with pytest.raises(NotAllowed):
        import_boundaries(
            worker_a, collection(feature(f"{community_a.code}10", "甲", community_a.code, square(EAST, NORTH)))
        )


def test_the_import_page_imports_an_uploaded_file(client_as: Any, staff_a: Any, community_a: Community) -> None:
    upload = SimpleUploadedFile(
        "grids.geojson",
        collection(feature(f"{community_a.code}10", "第十网格", community_a.code, square(EAST, NORTH))),
        content_type="application/geo+json",
    )
    response = client_as(staff_a).post(reverse("areas:import_boundaries"), {"file": upload})
    assert response.status_code == 302
    assert Grid.objects.filter(code=f"{community_a.code}10").exists()
    assert any("1" in str(m) for m in get_messages(response.wsgi_request))


def test_the_import_page_lists_the_problems(client_as: Any, staff_a: Any, community_a: Community) -> None:
    upload = SimpleUploadedFile(
        "grids.geojson",
        collection(
            feature("99999901", "错码", community_a.code, square(EAST, NORTH)),
            feature(f"{community_a.code}11", "", "510116004999", None),
        ),
    )
    response = client_as(staff_a).post(reverse("areas:import_boundaries"), {"file": upload})
    assert response.status_code == 200
    problems = response.context["problems"]
    assert {(p.row, p.field) for p in problems} == {(1, "code"), (2, "name"), (2, "community_code"), (2, "geometry")}
    assert response.content.decode().count("<tr><td>") == len(problems)
