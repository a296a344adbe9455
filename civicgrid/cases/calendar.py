"""Working time: time limits of normal cases count only working hours on working days.

A working day is Monday–Friday unless the calendar (CalendarDay rows: public holidays and make-up workdays,
editable by street admins, seeded from fixtures/calendar.csv) says otherwise. Working hours are
settings.CIVICGRID_WORK_PERIODS, by default 9:00–12:00 and 13:00–17:00 (Asia/Shanghai).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from time import monotonic
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache

TZ = ZoneInfo("Asia/Shanghai")
VERSION_KEY = "cases:calendar-version"


def work_periods() -> list[tuple[time, time]]:
    return [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in settings.CIVICGRID_WORK_PERIODS]


_overrides: dict[str, object] = {"version": None, "days": {}, "loaded": 0.0}
# Without a shared cache (no REDIS_URL: `make run`), each process has its own version stamp, so an edit made in
# the web server would never reach the task worker. Reloading at least this often bounds that staleness.
MAX_AGE_SECONDS = 300.0


def overrides() -> Mapping[date, bool]:
    """The calendar's exceptions, cached per process and reloaded when the calendar changes."""
    from .models import CalendarDay

    version = cache.get(VERSION_KEY, 0)
    now = monotonic()
    if _overrides["version"] != version or now - _overrides["loaded"] > MAX_AGE_SECONDS:  # type: ignore[operator]
        _overrides["days"] = dict(CalendarDay.objects.values_list("date", "is_workday"))
        _overrides["version"] = version
        _overrides["loaded"] = now
    return _overrides["days"]  # type: ignore[return-value]


def invalidate() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)


def is_workday(day: date, days: Mapping[date, bool]) -> bool:
    return days.get(day, day.weekday() < 5)


def add_working_minutes(start: datetime, minutes: int, days: Mapping[date, bool] | None = None) -> datetime:
    """The moment when `minutes` of working time have passed after `start`."""
    days = overrides() if days is None else days
    periods = work_periods()
    current = start.astimezone(TZ)
    remaining = timedelta(minutes=minutes)
    for _ in range(3660):  # at most ten years of days: a limit longer than that is a configuration error
        if is_workday(current.date(), days):
            for begin, end in periods:
                p_start = datetime.combine(current.date(), begin, TZ)
                p_end = datetime.combine(current.date(), end, TZ)
                if current >= p_end:
                    continue
                from_ = max(current, p_start)
                available = p_end - from_
                if remaining <= available:
                    return from_ + remaining
                remaining -= available
                current = p_end
        current = datetime.combine(current.date() + timedelta(days=1), time(0, 0), TZ)
    raise ValueError("time limit too long")


def working_minutes_between(a: datetime, b: datetime, days: Mapping[date, bool] | None = None) -> int:
    """Working minutes from a to b (0 if b is not after a)."""
    if b <= a:
        return 0
    days = overrides() if days is None else days
    periods = work_periods()
    total = timedelta()
    a, b = a.astimezone(TZ), b.astimezone(TZ)
    day = a.date()
    while day <= b.date():
        if is_workday(day, days):
            for begin, end in periods:
                lo = max(a, datetime.combine(day, begin, TZ))
                hi = min(b, datetime.combine(day, end, TZ))
                if hi > lo:
                    total += hi - lo
        day += timedelta(days=1)
    return int(total.total_seconds() // 60)


def due_at(start: datetime, minutes: int, urgent: bool, days: Mapping[date, bool] | None = None) -> datetime:
    """Deadline of a limit: urgent limits run on the clock, normal ones in working time."""
    if urgent:
        return start + timedelta(minutes=minutes)
    return add_working_minutes(start, minutes, days)


def elapsed_fraction(start: datetime, due: datetime, now: datetime, urgent: bool) -> float:
    """How much of the limit from start to due has passed at `now` (1.0 = deadline)."""
    if urgent:
        total = (due - start).total_seconds()
        return (now - start).total_seconds() / total if total > 0 else 1.0
    days = overrides()
    total_m = working_minutes_between(start, due, days)
    return working_minutes_between(start, now, days) / total_m if total_m > 0 else 1.0
