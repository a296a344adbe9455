"""Patrols: routes only when asked for and only for a while; findings solved on the spot or raised as cases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from civicgrid.cases.choices import Channel
from civicgrid.core.errors import ServiceError
from civicgrid.patrols import services
from civicgrid.patrols.models import ChecklistItem, TracePoint
from civicgrid.people.models import Building

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def item(code: str) -> ChecklistItem:
    return ChecklistItem.objects.select_related("category").get(street__isnull=True, code=code)


def test_a_route_is_kept_only_when_the_walker_turned_tracking_on(steward_a: Any) -> None:
    now = timezone.now()
    quiet = services.start_patrol(steward_a, steward_a.grid)
    tracked = services.start_patrol(steward_a, steward_a.grid, tracking=True)
    points = [(now - timedelta(minutes=m), 30.55, 103.88) for m in range(3)]
    assert services.add_trace_points(steward_a, quiet, points) == 0
    assert services.add_trace_points(steward_a, tracked, points) == 3
    assert TracePoint.objects.filter(patrol=quiet).count() == 0
    assert TracePoint.objects.filter(patrol=tracked).count() == 3


def test_another_walkers_route_is_not_added_to_a_patrol(steward_a: Any, worker_a: Any) -> None:
    tracked = services.start_patrol(steward_a, steward_a.grid, tracking=True)
    assert services.add_trace_points(worker_a, tracked, [(timezone.now(), 30.55, 103.88)]) == 0


def test_route_points_older_than_the_retention_period_are_deleted(steward_a: Any, settings: Any) -> None:
    settings.CIVICGRID_TRACE_RETENTION_DAYS = 30
    now = timezone.now()
    patrol = services.start_patrol(steward_a, steward_a.grid, tracking=True)
    services.add_trace_points(
        steward_a, patrol, [(now - timedelta(days=31), 30.55, 103.88), (now - timedelta(days=29), 30.55, 103.88)]
    )
    assert services.purge_old_traces(now) == 1
    assert list(TracePoint.objects.filter(patrol=patrol).values_list("at", flat=True)) == [now - timedelta(days=29)]
    assert services.purge_old_traces(now) == 0


def test_a_finding_not_solved_on_the_spot_raises_a_case_with_the_items_category_on_the_patrol_channel(
    steward_a: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    patrol = services.start_patrol(steward_a, steward_a.grid)
    building = Building.objects.filter(grid=steward_a.grid).first()
    photo = SimpleUploadedFile("bin.png", PNG, content_type="image/png")
    finding = services.record_finding(
        steward_a,
        patrol,
        item("fire_exit"),
        note="<script>alert(1)</script>安全出口被电动车堵住",
        building=building,
        photo=photo,
    )
    case = finding.case
    assert case is not None
    assert case.category.code == item("fire_exit").category.code == "0302"
    assert case.channel == Channel.PATROL
    assert case.grid_id == steward_a.grid_id and case.building_id == building.pk
    assert case.recorded_by_id == steward_a.pk
    assert "安全出口被电动车堵住" in case.description
    assert case.findings.get() == finding
    assert finding.photo.name.startswith(f"findings/{steward_a.grid_id}/")


def test_raising_the_case_of_a_finding_twice_returns_the_same_case(steward_a: Any) -> None:
    patrol = services.start_patrol(steward_a, steward_a.grid)
    finding = services.record_finding(steward_a, patrol, item("full_bin"), note="满了")
    assert services.raise_case_from_finding(steward_a, finding) == finding.case


def test_a_finding_solved_on_the_spot_raises_no_case_but_needs_a_note(steward_a: Any) -> None:
    patrol = services.start_patrol(steward_a, steward_a.grid)
    with pytest.raises(ServiceError) as exc:
        services.record_finding(steward_a, patrol, item("clutter"), solved_on_spot=True)
    assert exc.value.field == "note"
    finding = services.record_finding(steward_a, patrol, item("clutter"), note="已清理", solved_on_spot=True)
    assert finding.case is None


def test_a_building_of_another_grid_is_refused(steward_a: Any, grid_b: Any) -> None:
    patrol = services.start_patrol(steward_a, steward_a.grid)
    other = Building.objects.filter(grid=grid_b).first()
    with pytest.raises(ServiceError) as exc:
        services.record_finding(steward_a, patrol, item("full_bin"), note="x", building=other)
    assert exc.value.field == "building"


def test_a_steward_cannot_patrol_another_grid_and_staff_do_not_patrol(
    steward_a: Any, grid_b: Any, staff_a: Any
) -> None:
    with pytest.raises(PermissionDenied):
        services.start_patrol(steward_a, grid_b)
    with pytest.raises(PermissionDenied):
        services.start_patrol(staff_a, steward_a.grid)


def test_only_the_walker_finishes_a_patrol_and_finishing_twice_changes_nothing(steward_a: Any, worker_a: Any) -> None:
    patrol = services.start_patrol(steward_a, steward_a.grid, started_at=timezone.now() - timedelta(hours=1))
    with pytest.raises(ServiceError):
        services.finish_patrol(worker_a, patrol)
    done = services.finish_patrol(steward_a, patrol, note="一切正常")
    first = done.finished_at
    assert services.finish_patrol(steward_a, patrol, note="again").finished_at == first


def test_entries_from_the_future_or_older_than_30_days_are_refused(steward_a: Any) -> None:
    with pytest.raises(ServiceError):
        services.start_patrol(steward_a, steward_a.grid, started_at=timezone.now() + timedelta(hours=1))
    with pytest.raises(ServiceError):
        services.start_patrol(steward_a, steward_a.grid, started_at=timezone.now() - timedelta(days=31))


def test_once_a_street_has_its_own_checklist_the_defaults_no_longer_count(steward_a: Any, street_admin: Any) -> None:
    street_id = steward_a.grid.community.street_id
    own = {i.code: i for i in services.customise_checklist(street_admin, street_id)}
    assert services.on_checklist(own["full_bin"], street_id)
    assert not services.on_checklist(item("full_bin"), street_id)
    patrol = services.start_patrol(steward_a, steward_a.grid)
    with pytest.raises(ServiceError):
        services.record_finding(steward_a, patrol, item("full_bin"), note="x", solved_on_spot=True)
    assert (
        services.record_finding(steward_a, patrol, own["full_bin"], note="x", solved_on_spot=True).item
        == own["full_bin"]
    )
