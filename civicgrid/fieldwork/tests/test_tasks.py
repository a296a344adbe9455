"""The daily field-work jobs run their services (the tests' ImmediateBackend runs a task when it is enqueued)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from civicgrid.fieldwork import tasks
from civicgrid.firesafety import services as firesafety
from civicgrid.patrols import services as patrols
from civicgrid.patrols.models import TracePoint
from civicgrid.people.models import Building


def test_the_daily_jobs_purge_old_routes_and_raise_cases_for_expired_items(worker_a: Any, settings: Any) -> None:
    settings.CIVICGRID_TRACE_RETENTION_DAYS = 30
    patrol = patrols.start_patrol(worker_a, worker_a.grid, tracking=True)
    patrols.add_trace_points(worker_a, patrol, [(timezone.now() - timedelta(days=40), 30.55, 103.88)])
    item = firesafety.add_item(
        worker_a,
        Building.objects.filter(grid=worker_a.grid).first(),
        kind="extinguisher",
        location="1楼",
        expires_on=timezone.localdate() - timedelta(days=2),
    )
    assert tasks.purge_old_traces.enqueue().return_value == 1
    assert not TracePoint.objects.filter(patrol=patrol).exists()
    assert tasks.run_fire_safety_checks.enqueue().return_value == {"reminded": 0, "cases": 1}
    item.refresh_from_db()
    assert item.case is not None
