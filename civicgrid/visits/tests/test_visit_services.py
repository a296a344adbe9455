"""Household visits: follow-up cases, and which households are due or overdue for a visit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from civicgrid.cases.choices import Channel
from civicgrid.core.errors import ServiceError
from civicgrid.people.models import CareTag, Household, Resident
from civicgrid.visits import services
from civicgrid.visits.models import FollowUp, Visit
from civicgrid.visits.selectors import due_visits


def a_household(grid: Any) -> Household:
    return Household.objects.filter(grid=grid).select_related("house").order_by("code").first()


def test_a_visit_with_a_case_follow_up_raises_a_case_linked_to_it(worker_a: Any) -> None:
    household = a_household(worker_a.grid)
    visit = services.record_visit(
        worker_a,
        household,
        found="厨房燃气管老化，有气味",
        risks="燃气泄漏",
        follow_up=FollowUp.CASE,
        case_category="0303",
    )
    assert visit.case is not None
    assert visit.case.channel == Channel.PATROL
    assert visit.case.building_id == household.house.building_id
    assert "燃气管老化" in visit.case.description
    assert visit.case.visits.get() == visit


def test_a_case_follow_up_needs_what_was_found(worker_a: Any) -> None:
    with pytest.raises(ServiceError) as exc:
        services.record_visit(worker_a, a_household(worker_a.grid), follow_up=FollowUp.CASE)
    assert exc.value.field == "found"
    assert not Visit.objects.exists()


def test_a_household_is_due_from_its_members_shortest_care_frequency(steward_a: Any) -> None:
    today = timezone.localdate()
    household = a_household(steward_a.grid)
    member = Resident.objects.filter(household=household).first()
    member.care_tags.set([CareTag.objects.get(code="elderly_alone")])  # weekly
    Visit.objects.filter(household__grid=steward_a.grid).delete()
    due = {d.household.pk: d for d in due_visits(steward_a, today=today)}
    assert due[household.pk].due_on == today and due[household.pk].every_days == 7

    services.record_visit(steward_a, household, visited_at=timezone.now() - timedelta(days=10))
    due = {d.household.pk: d for d in due_visits(steward_a, today=today)}
    assert due[household.pk].overdue_days == 3

    services.record_visit(steward_a, household)
    due = {d.household.pk: d for d in due_visits(steward_a, today=today, within_days=3)}
    assert household.pk not in due


def test_a_worker_sees_no_due_visits_of_another_grid(worker_a: Any, grid_b: Any) -> None:
    assert all(d.household.grid_id == worker_a.grid_id for d in due_visits(worker_a))
