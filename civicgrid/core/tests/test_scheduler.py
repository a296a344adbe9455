"""The scheduler enqueues the periodic jobs on time; the deadline check it enqueues really runs."""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.management import call_command
from django_tasks import default_task_backend

from civicgrid.cases import services
from civicgrid.cases.calendar import TZ
from civicgrid.core.management.commands import scheduler

DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend", "QUEUES": ["default"]}}


def enqueued() -> list[str]:
    return [r.task.name for r in default_task_backend.results]  # type: ignore[attr-defined]


def test_once_enqueues_every_job_once(settings: Any) -> None:
    settings.TASKS = DUMMY
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert sorted(enqueued()) == [
        "check_deadlines_task",
        "purge_old_traces",
        "retrain_classifier",
        "run_fire_safety_checks",
        "send_digests",
    ]


def test_once_can_be_narrowed_to_one_job(settings: Any) -> None:
    settings.TASKS = DUMMY
    call_command("scheduler", "--once", "--job", "send_digests", stdout=io.StringIO())
    assert enqueued() == ["send_digests"]


def test_an_unknown_job_is_refused(settings: Any) -> None:
    settings.TASKS = DUMMY
    with pytest.raises(SystemExit):
        call_command("scheduler", "--once", "--job", "nonsense", stdout=io.StringIO(), stderr=io.StringIO())
    assert enqueued() == []


def test_an_optional_job_that_does_not_exist_is_skipped(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.TASKS = DUMMY
    monkeypatch.setattr(
        scheduler,
        "SCHEDULE",
        [*scheduler.SCHEDULE, scheduler.Job("civicgrid.cases.tasks:nothing", scheduler.every(60), "x")],
    )
    out = io.StringIO()
    call_command("scheduler", "--once", stdout=out)
    assert "civicgrid.cases.tasks:nothing does not exist" in out.getvalue()
    assert len(enqueued()) == len([job for job in scheduler.SCHEDULE if job.task() is not None])


def test_with_the_immediate_backend_the_deadline_check_runs(
    monkeypatch: pytest.MonkeyPatch, grid_a: Any, staff_a: Any
) -> None:
    # conftest runs tasks with the ImmediateBackend: enqueueing runs the job at once.
    long_ago = datetime(2026, 3, 10, 9, 0, tzinfo=TZ)
    monkeypatch.setattr(services, "_now", lambda: long_ago)
    case, _ = services.submit_case(
        None, services.Intake(description="垃圾桶满了", category_code="0101", grid_id=grid_a.pk)
    )
    monkeypatch.setattr(services, "_now", lambda: long_ago + timedelta(hours=2))
    call_command("scheduler", "--once", "--job", "check_deadlines_task", stdout=io.StringIO())
    case.refresh_from_db()
    assert case.overdue
    assert case.escalation_level == 2  # 2 h after a 09:00 report with a 1-hour limit: late by a full limit
    assert staff_a.notifications.filter(verb="case.overdue").exists() is False  # went straight to the street


class Stop(Exception):
    pass


def test_the_loop_enqueues_each_job_at_its_time(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.TASKS = DUMMY
    clock = {"now": datetime(2026, 3, 10, 2, 58, 30, tzinfo=TZ)}
    end = datetime(2026, 3, 10, 3, 1, 30, tzinfo=TZ)

    def sleep(seconds: float) -> None:
        clock["now"] += timedelta(seconds=seconds)
        if clock["now"] > end:
            raise Stop

    monkeypatch.setattr(scheduler.timezone, "now", lambda: clock["now"])
    monkeypatch.setattr(scheduler.time, "sleep", sleep)
    monkeypatch.setattr(scheduler.signal, "signal", lambda *a: None)
    monkeypatch.setattr(scheduler, "close_old_connections", lambda: None)  # no database needed: the dummy backend
    with pytest.raises(Stop):
        call_command("scheduler", stdout=io.StringIO())
    got = enqueued()
    # 02:59, 03:00, 03:01 for the minute job; 03:00 for the hourly and the daily one.
    assert got.count("check_deadlines_task") == 3
    assert got.count("send_digests") == 1
    assert got.count("retrain_classifier") == 1


@pytest.mark.parametrize(
    ("rule", "now", "next_run"),
    [
        (scheduler.every(60), "2026-03-10 12:00:30", "2026-03-10 12:01:00"),
        (scheduler.every(60), "2026-03-10 12:01:00", "2026-03-10 12:02:00"),
        (scheduler.every(3600), "2026-03-10 23:10:00", "2026-03-11 00:00:00"),
        (scheduler.daily_at(3), "2026-03-10 02:59:59", "2026-03-10 03:00:00"),
        (scheduler.daily_at(3), "2026-03-10 03:00:00", "2026-03-11 03:00:00"),
    ],
)
def test_each_rule_gives_the_next_turn_after_now(rule: Any, now: str, next_run: str) -> None:
    assert rule(datetime.fromisoformat(now).replace(tzinfo=TZ)) == datetime.fromisoformat(next_run).replace(tzinfo=TZ)
