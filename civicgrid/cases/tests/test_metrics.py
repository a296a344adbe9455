"""The case metrics on a hand-built set of cases, against numbers worked out by hand (see docs/cases.md)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from civicgrid.accounts.models import User
from civicgrid.cases.calendar import TZ
from civicgrid.cases.metrics import case_metrics
from civicgrid.cases.models import Case, Category, Whistle, WhistleSummons
from civicgrid.responders.models import Responder

MARCH = {"start": date(2026, 3, 1), "end": date(2026, 4, 1)}
_codes = count(1)


def at(day: int, hour: int = 9, month: int = 3) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=TZ)


@pytest.fixture
def cases(grid_a: Any, grid_b: Any, worker_a: Any, worker_b: Any, street_admin: Any) -> dict[str, Case]:
    """Eleven cases; the comments say what each one counts for."""
    sanitation = Category.objects.get(code="0101")
    noise = Category.objects.get(code="0105")
    unit_x, unit_y = Responder.objects.order_by("pk")[:2]

    def make(name: str, grid: Any, category: Category, created: datetime, **fields: Any) -> Case:
        worker = worker_a if grid == grid_a else worker_b
        return Case.objects.create(
            tracking_code=f"T{next(_codes):07d}",
            category=category,
            description=f"<script>{name}</script>",
            grid=grid,
            community=grid.community,
            owner=worker,
            created_at=created,
            **fields,
        )

    closed_ok = {"accepted_on_time": True, "resolved_on_time": True}
    made = {
        # closed on time (4 h), rated satisfied, dispatched to X
        "c1": make("c1", grid_a, sanitation, at(2), status="surveyed", satisfaction="satisfied", responder=unit_x,
                   accepted_at=at(2), resolved_at=at(2, 12), closed_at=at(2, 13), **closed_ok),
        # closed late (24 h), rated basically satisfied, returned once by X then dispatched to X again
        "c2": make("c2", grid_a, sanitation, at(3), status="surveyed", satisfaction="basic", responder=unit_x,
                   return_count=1, accepted_at=at(3), resolved_at=at(4, 8), closed_at=at(4),
                   accepted_on_time=True, resolved_on_time=False),
        # accepted late, handled by the grid, reworked once, closed on time (2 h), not rated
        "c3": make("c3", grid_b, noise, at(5, 10), status="closed", rework_count=1, accepted_at=at(5, 11),
                   resolved_at=at(5, 12), closed_at=at(5, 12), accepted_on_time=False, resolved_on_time=True),
        # rated unsatisfied, so redone; overdue again; extended once; with X
        "c4": make("c4", grid_b, noise, at(6), status="in_progress", satisfaction="unsatisfied", redo_count=1,
                   extension_count=1, overdue=True, responder=unit_x, accepted_at=at(6), accepted_on_time=True),
        # never accepted, past the accept limit
        "c5": make("c5", grid_a, sanitation, at(9), status="submitted", overdue=True),
        # rejected
        "c6": make("c6", grid_a, sanitation, at(9), status="rejected", closed_at=at(9, 10)),
        # merged into c1: a duplicate, counted nowhere
        "c7": make("c7", grid_a, sanitation, at(9), status="merged", accepted_at=at(9), accepted_on_time=True),
        # parked
        "c8": make("c8", grid_b, noise, at(10), status="parked", accepted_at=at(10), accepted_on_time=True),
        # solved on the spot (0 h)
        "c9": make("c9", grid_a, sanitation, at(10, 10), status="closed", on_the_spot=True, accepted_at=at(10, 10),
                   resolved_at=at(10, 10), closed_at=at(10, 10), **closed_ok),
        # received in April: outside the period
        "c10": make("c10", grid_a, sanitation, at(1, 9, month=4), status="submitted"),
        # dispatched to Y, in time
        "c11": make("c11", grid_a, noise, at(20), status="dispatched", responder=unit_y, accepted_at=at(20),
                    accepted_on_time=True),
    }  # fmt: skip
    made["c7"].merged_into = made["c1"]
    made["c7"].save()
    return made


def test_the_rates_of_all_cases_are_the_hand_computed_ones(cases: dict[str, Case], street_admin: Any) -> None:
    [m] = case_metrics(Case.objects.all(), **MARCH)
    assert (m.received, m.rejected, m.closed, m.parked, m.on_the_spot) == (9, 1, 4, 1, 1)
    assert m.rates() == {
        "accept_rate": 0.75,  # on time c1 c2 c4 c8 c9 c11 / accepted 7 + still waiting and late 1 (c5)
        "on_time_rate": 0.5,  # closed on time c1 c3 c9 / closed 4 + open and overdue 2 (c4 c5)
        "resolution_rate": 0.5,  # closed 4 / valid 8
        "satisfaction_rate": 0.6667,  # satisfied c1 + basically c2 / rated 3 (c4 unsatisfied)
        "rework_rate": 0.2,  # c3 / resolved at least once: c1 c2 c3 c4 c9
        "redo_rate": 0.2,  # c4 / closed at least once: c1 c2 c3 c9 c4
        "return_rate": 0.25,  # c2 / sent to a unit: c1 c2 c4 c11
        "extension_rate": 0.1429,  # c4 / accepted 7
        "closure_rate": 0.5556,  # closed 4 + rejected 1 / received 9
    }
    assert m.avg_handling_hours == 7.5  # (4 + 24 + 2 + 0) / 4


def test_a_user_gets_the_metrics_of_what_they_may_see(
    cases: dict[str, Case], worker_a: Any, street_admin: Any, staff_b: Any
) -> None:
    assert case_metrics(street_admin, **MARCH)[0].received == 9
    assert case_metrics(worker_a, **MARCH)[0].received == 6
    assert case_metrics(staff_b, **MARCH)[0].received == 3


def test_a_responder_counts_each_case_once_even_when_summoned_twice(cases: dict[str, Case], street_admin: Any) -> None:
    unit_x = cases["c1"].responder
    for _ in range(2):
        whistle = Whistle.objects.create(case=cases["c1"], blown_by=street_admin, blown_at=at(2, 10))
        WhistleSummons.objects.create(whistle=whistle, responder=unit_x)
    account = User.objects.filter(responder=unit_x).first()
    [m] = case_metrics(account, **MARCH)
    assert m.received == 3  # c1 c2 c4


def test_any_period(cases: dict[str, Case]) -> None:
    [april] = case_metrics(Case.objects.all(), start=date(2026, 4, 1), end=date(2026, 5, 1))
    assert april.received == 1
    [early] = case_metrics(Case.objects.all(), start=at(2), end=at(5, 10))  # c1 c2; c3 came in at 10:00
    assert early.received == 2
    [none] = case_metrics(Case.objects.all(), start=date(2025, 1, 1), end=date(2025, 2, 1))
    assert none.received == 0
    assert all(rate is None for rate in none.rates().values())
    assert none.avg_handling_hours is None


def test_per_grid_and_per_community(cases: dict[str, Case], grid_a: Any, grid_b: Any) -> None:
    by_grid = {m.group: m for m in case_metrics(Case.objects.all(), **MARCH, group_by="grid")}
    assert set(by_grid) == {grid_a.pk, grid_b.pk}
    a, b = by_grid[grid_a.pk], by_grid[grid_b.pk]
    assert (a.received, b.received) == (6, 3)
    assert a.on_time_rate == 0.5  # c1 c9 / (c1 c2 c9 + c5)
    assert b.on_time_rate == 0.5  # c3 / (c3 + c4)
    assert a.label == f"{grid_a.community.name} {grid_a.name}"
    by_community = {m.group: m for m in case_metrics(Case.objects.all(), **MARCH, group_by="community")}
    assert by_community[grid_a.community_id].received == 6
    assert by_community[grid_b.community_id].satisfaction_rate == 0.0  # c4 unsatisfied


def test_per_responder_and_per_category(cases: dict[str, Case]) -> None:
    by_unit = {m.group: m for m in case_metrics(Case.objects.all(), **MARCH, group_by="responder")}
    unit_x, unit_y = cases["c1"].responder_id, cases["c11"].responder_id
    assert {k: m.received for k, m in by_unit.items()} == {unit_x: 3, unit_y: 1, None: 5}
    assert by_unit[unit_x].avg_handling_hours == 14.0  # (4 + 24) / 2
    assert by_unit[None].label == "Not dispatched to a unit" or by_unit[None].label == "未派遣给处置单位"
    rows = case_metrics(Case.objects.all(), **MARCH, group_by="category")
    assert [(m.label.split()[0], m.received) for m in rows] == [("0101", 5), ("0105", 4)]
    assert rows[-1].group is not None


def test_the_metrics_cost_one_query_whatever_the_grouping(
    cases: dict[str, Case], django_assert_num_queries: Any, street_admin: Any
) -> None:
    for group_by in (None, "grid", "community", "responder", "category"):
        with django_assert_num_queries(1):
            case_metrics(street_admin, **MARCH, group_by=group_by)  # type: ignore[arg-type]
    account = User.objects.filter(responder=cases["c1"].responder).first()
    with django_assert_num_queries(1):
        case_metrics(account, **MARCH, group_by="category")


def test_an_unknown_grouping_is_refused(cases: dict[str, Case]) -> None:
    with pytest.raises(ValueError):
        case_metrics(Case.objects.all(), **MARCH, group_by="street")  # type: ignore[arg-type]


def test_a_case_received_at_the_end_of_the_period_belongs_to_the_next(cases: dict[str, Case]) -> None:
    Case.objects.filter(pk=cases["c10"].pk).update(created_at=at(1, 0, month=4) - timedelta(microseconds=1))
    assert case_metrics(Case.objects.all(), **MARCH)[0].received == 10
