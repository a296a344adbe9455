"""Time limits: working-time arithmetic over the 2026 calendar, urgent limits on the clock, the periodic deadline
check (warning at 80 %, overdue flag, escalation grid → community → street, each notified once) and editing the
calendar."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from hypothesis import given, settings
from hypothesis import strategies as st

from civicgrid.audit.models import AuditEvent
from civicgrid.cases import calendar, services
from civicgrid.cases.calendar import TZ, add_working_minutes, due_at, working_minutes_between
from civicgrid.cases.models import CalendarDay, Case
from civicgrid.notifications.models import Notification

FIXTURE = Path(calendar.__file__).resolve().parent / "fixtures" / "calendar.csv"
with FIXTURE.open(encoding="utf-8") as fh:
    DAYS_2026 = {date.fromisoformat(r["date"]): r["is_workday"] == "1" for r in csv.DictReader(fh)}


def at(text: str) -> datetime:
    """'2026-04-03 16:00' in Chengdu time."""
    return datetime.fromisoformat(text).replace(tzinfo=TZ)


# --- working-time arithmetic (pure: the calendar is passed in) -------------------------------------------------

LIMITS = [
    # start (a weekday unless said)      minutes  deadline                   why
    ("2026-03-10 10:00", 60, "2026-03-10 11:00", "inside the morning"),
    ("2026-03-10 11:30", 60, "2026-03-10 13:30", "across lunch"),
    ("2026-03-10 12:20", 30, "2026-03-10 13:30", "started during lunch"),
    ("2026-03-10 16:30", 60, "2026-03-11 09:30", "across the night"),
    ("2026-03-10 07:00", 30, "2026-03-10 09:30", "started before opening"),
    ("2026-03-10 17:00", 10, "2026-03-11 09:10", "started at closing time"),
    ("2026-03-10 22:00", 420, "2026-03-11 17:00", "a whole working day, started at night"),
    ("2026-03-06 16:00", 480, "2026-03-09 17:00", "Friday 16:00 + 8 h: over a plain weekend"),
    ("2026-04-03 16:00", 480, "2026-04-07 17:00", "Friday 16:00 + 8 h: Qingming holiday Sat–Mon, so Tuesday"),
    ("2026-09-30 16:00", 480, "2026-10-08 17:00", "over the National Day week"),
    ("2026-10-09 16:00", 480, "2026-10-10 17:00", "Saturday 10 October is a make-up workday"),
    ("2026-02-13 16:00", 600, "2026-02-24 11:00", "make-up Saturday 14 Feb, then the Spring Festival"),
    ("2026-02-14 16:00", 240, "2026-02-24 12:00", "started on the make-up Saturday"),
    ("2026-05-08 16:00", 120, "2026-05-09 10:00", "Saturday 9 May is a make-up workday"),
    ("2026-06-18 16:30", 60, "2026-06-22 09:30", "Dragon Boat Festival Fri 19 June (and the weekend)"),
    ("2025-12-31 16:00", 120, "2026-01-04 10:00", "New Year 1–3 Jan; Sunday 4 Jan is a make-up workday"),
]


@pytest.mark.parametrize(("start", "minutes", "deadline", "why"), LIMITS, ids=[row[3] for row in LIMITS])
def test_a_normal_limit_counts_working_time_only(start: str, minutes: int, deadline: str, why: str) -> None:
    assert add_working_minutes(at(start), minutes, DAYS_2026) == at(deadline)
    assert working_minutes_between(at(start), at(deadline), DAYS_2026) == minutes


def test_an_urgent_limit_runs_on_the_clock_through_nights_and_holidays() -> None:
    assert due_at(at("2026-10-03 23:00"), 120, urgent=True, days=DAYS_2026) == at("2026-10-04 01:00")
    assert due_at(at("2026-10-03 23:00"), 120, urgent=False, days=DAYS_2026) == at("2026-10-08 11:00")


def test_working_minutes_between_is_zero_backwards_and_outside_working_hours() -> None:
    assert working_minutes_between(at("2026-03-10 12:00"), at("2026-03-10 13:00"), DAYS_2026) == 0
    assert working_minutes_between(at("2026-03-10 15:00"), at("2026-03-10 14:00"), DAYS_2026) == 0
    assert working_minutes_between(at("2026-10-01 00:00"), at("2026-10-07 23:59"), DAYS_2026) == 0
    assert working_minutes_between(at("2026-03-09 00:00"), at("2026-03-14 00:00"), DAYS_2026) == 5 * 420


def test_a_start_given_in_utc_gives_the_same_deadline() -> None:
    start = at("2026-03-10 16:30")
    assert add_working_minutes(start.astimezone(UTC), 60, DAYS_2026) == at("2026-03-11 09:30")


@settings(max_examples=300, deadline=None, database=None)
@given(
    start=st.datetimes(min_value=datetime(2025, 12, 1), max_value=datetime(2026, 12, 31)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=TZ)
    ),
    minutes=st.integers(min_value=0, max_value=60 * 7 * 15),
)
def test_adding_working_minutes_and_counting_them_back_agree(start: datetime, minutes: int) -> None:
    end = add_working_minutes(start, minutes, DAYS_2026)
    assert end >= start
    assert working_minutes_between(start, end, DAYS_2026) == minutes
    # The deadline is never later than needed: a minute earlier, the limit had not yet run out.
    if minutes:
        assert working_minutes_between(start, end - timedelta(minutes=1), DAYS_2026) == minutes - 1


# --- the deadline check ----------------------------------------------------------------------------------------


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def set(self, text: str) -> None:
        self.now = at(text)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock(at("2026-03-10 09:00"))
    monkeypatch.setattr(services, "_now", c)
    return c


@pytest.fixture(autouse=True)
def _fresh_calendar() -> Iterator[None]:
    # The calendar is cached per process; tests that edit it roll their rows back, so drop the cache after them.
    calendar.invalidate()
    yield
    calendar.invalidate()


def submit(grid: Any, code: str = "0101", **kw: Any) -> Case:
    case, _ = services.submit_case(
        None, services.Intake(description="垃圾桶满了没人清运，味道很大", category_code=code, grid_id=grid.pk, **kw)
    )
    return case


def inbox(user: Any, verb: str) -> int:
    return Notification.objects.filter(user=user, verb=verb).count()


def test_a_case_gets_its_accept_limit_in_working_time(clock: Clock, grid_a: Any) -> None:
    clock.set("2026-04-03 16:30")  # Friday before Qingming: accept within 1 working hour
    case = submit(grid_a)
    assert case.accept_due_at == at("2026-04-07 09:30")
    assert services.current_due(case) == case.accept_due_at


def test_an_urgent_case_gets_its_limits_on_the_clock(clock: Clock, grid_a: Any, worker_a: Any) -> None:
    clock.set("2026-03-14 22:00")  # a Saturday night; 0303 (e-bike charging in the stairwell) is urgent
    case = submit(grid_a, "0303")
    assert case.urgency == "urgent"
    assert case.accept_due_at == at("2026-03-14 23:00")
    clock.set("2026-03-14 22:20")
    case = services.take_step(worker_a, case, "accept")
    assert case.resolve_due_at == at("2026-03-15 02:20")


def test_the_check_warns_once_at_80_percent_of_the_limit(clock: Clock, grid_a: Any, worker_a: Any) -> None:
    case = submit(grid_a)  # Tuesday 09:00, accept within 60 working minutes: due 10:00
    assert services.check_deadlines(at("2026-03-10 09:47")) == {"warned": 0, "overdue": 0, "escalated": 0}
    assert services.check_deadlines(at("2026-03-10 09:48"))["warned"] == 1
    assert services.check_deadlines(at("2026-03-10 09:55"))["warned"] == 0
    case.refresh_from_db()
    assert case.warned_at == at("2026-03-10 09:48")
    assert not case.overdue
    assert inbox(worker_a, "case.warning") == 1


def test_the_check_flags_overdue_and_escalates_to_the_community_then_the_street(
    clock: Clock, grid_a: Any, worker_a: Any, staff_a: Any, street_admin: Any, staff_b: Any
) -> None:
    clock.set("2026-03-10 11:30")  # due 13:30 (lunch does not count)
    case = submit(grid_a)
    assert case.accept_due_at == at("2026-03-10 13:30")

    services.check_deadlines(at("2026-03-10 13:30"))
    case.refresh_from_db()
    assert not case.overdue  # the deadline itself is still in time (and the owner has been warned)

    assert services.check_deadlines(at("2026-03-10 13:31")) == {"warned": 0, "overdue": 1, "escalated": 1}
    case.refresh_from_db()
    assert (case.overdue, case.escalation_level) == (True, 1)
    assert inbox(staff_a, "case.overdue") == 1
    assert inbox(worker_a, "case.overdue") == 1
    assert inbox(street_admin, "case.overdue") == 0
    assert inbox(staff_b, "case.overdue") == 0

    # Late by less than a second full limit (60 working minutes): still the community.
    assert services.check_deadlines(at("2026-03-10 14:29")) == {"warned": 0, "overdue": 0, "escalated": 0}
    assert services.check_deadlines(at("2026-03-10 14:30")) == {"warned": 0, "overdue": 0, "escalated": 1}
    case.refresh_from_db()
    assert case.escalation_level == 2
    assert inbox(street_admin, "case.overdue") == 1

    # Every later run leaves everyone's inbox alone.
    for when in ("2026-03-11 10:00", "2026-03-12 10:00", "2026-03-20 10:00"):
        assert services.check_deadlines(at(when)) == {"warned": 0, "overdue": 0, "escalated": 0}
    assert inbox(staff_a, "case.overdue") == 1
    assert inbox(street_admin, "case.overdue") == 1
    assert inbox(worker_a, "case.overdue") == 2  # the owner hears of each escalation


def test_each_change_of_the_flags_is_in_the_audit_trail(clock: Clock, grid_a: Any) -> None:
    case = submit(grid_a)
    seen = AuditEvent.objects.filter(action="cases.deadline_check", target_id=str(case.pk))
    services.check_deadlines(at("2026-03-10 09:50"))
    services.check_deadlines(at("2026-03-10 10:30"))
    services.check_deadlines(at("2026-03-10 10:31"))
    assert seen.count() == 2


def test_taking_a_step_clears_the_flags_and_starts_the_next_limit(clock: Clock, grid_a: Any, worker_a: Any) -> None:
    case = submit(grid_a)
    services.check_deadlines(at("2026-03-10 10:30"))
    clock.set("2026-03-10 10:40")
    case = services.take_step(worker_a, case, "accept")
    assert (case.overdue, case.escalation_level, case.warned_at) == (False, 0, None)
    assert case.accepted_on_time is False
    assert case.resolve_due_at == at("2026-03-10 15:40")  # 4 working hours, lunch excluded
    # The resolve limit is warned and flagged like the accept limit was.
    assert services.check_deadlines(at("2026-03-10 14:52"))["warned"] == 1
    assert services.check_deadlines(at("2026-03-10 15:41"))["overdue"] == 1


def test_a_limit_restarted_by_a_redo_is_judged_by_its_new_deadline(clock: Clock, grid_a: Any, worker_a: Any) -> None:
    case = submit(grid_a)
    for when, step in [("09:10", "accept"), ("09:20", "handle_ourselves"), ("16:00", "resolve")]:
        clock.set(f"2026-03-10 {when}")
        case = services.take_step(worker_a, case, step, "已清运")
    for when, step in [("09:10", "verify"), ("09:20", "close")]:
        clock.set(f"2026-03-16 {when}")
        case = services.take_step(worker_a, case, step)
    clock.set("2026-03-16 10:00")
    case = services.take_step(worker_a, case, "survey", "电话回访：还是有味道", satisfaction="unsatisfied")
    assert case.status == "in_progress"
    assert case.resolve_due_at == at("2026-03-16 15:00")
    # Days after the first acceptance, but only 10 minutes into the new limit: no warning, no escalation.
    assert services.check_deadlines(at("2026-03-16 10:10")) == {"warned": 0, "overdue": 0, "escalated": 0}


def test_the_check_does_not_overwrite_a_step_taken_meanwhile(
    clock: Clock, grid_a: Any, worker_a: Any, monkeypatch: pytest.MonkeyPatch, staff_a: Any
) -> None:
    case = submit(grid_a)
    clock.set("2026-03-10 10:30")
    real_current_due = services.current_due

    def step_in_between(stale: Case) -> Any:
        # The worker accepts the case after the check has read it, before the check writes its flags.
        if stale.pk == case.pk and stale.status == "submitted":
            services.take_step(worker_a, Case.objects.get(pk=case.pk), "accept")
        return real_current_due(stale)

    monkeypatch.setattr(services, "current_due", step_in_between)
    assert services.check_deadlines(at("2026-03-10 10:31")) == {"warned": 0, "overdue": 0, "escalated": 0}
    case.refresh_from_db()
    assert (case.status, case.overdue, case.escalation_level) == ("accepted", False, 0)
    assert inbox(staff_a, "case.overdue") == 0


# --- editing the calendar --------------------------------------------------------------------------------------


def test_only_a_street_admin_edits_the_calendar(staff_a: Any, worker_a: Any) -> None:
    for user in (staff_a, worker_a):
        with pytest.raises(PermissionDenied):
            services.update_calendar_day(user, date(2026, 3, 16), False, "停电放假")
    assert not CalendarDay.objects.filter(date=date(2026, 3, 16)).exists()


def test_a_new_holiday_moves_the_deadlines_computed_afterwards(
    clock: Clock, grid_a: Any, street_admin: Any, django_capture_on_commit_callbacks: Any
) -> None:
    clock.set("2026-03-13 16:30")  # Friday; accept within 60 working minutes
    before = submit(grid_a)
    assert before.accept_due_at == at("2026-03-16 09:30")

    with django_capture_on_commit_callbacks(execute=True):
        services.update_calendar_day(street_admin, date(2026, 3, 16), False, "街道统一调休")
    assert AuditEvent.objects.filter(action="cases.update_calendar", target_id="2026-03-16").exists()

    after = submit(grid_a)
    assert after.accept_due_at == at("2026-03-17 09:30")
    before.refresh_from_db()
    assert before.accept_due_at == at("2026-03-16 09:30")  # a deadline already given stands

    with django_capture_on_commit_callbacks(execute=True):
        services.update_calendar_day(street_admin, date(2026, 3, 14), True, "周六补班")
    assert submit(grid_a).accept_due_at == at("2026-03-14 09:30")

    with django_capture_on_commit_callbacks(execute=True):
        services.update_calendar_day(street_admin, date(2026, 3, 14), None)
        services.update_calendar_day(street_admin, date(2026, 3, 16), None)
    assert submit(grid_a).accept_due_at == at("2026-03-16 09:30")
