"""The fire-safety register: a reminder before expiry, and exactly one case per expired item, however often it runs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from civicgrid.cases.models import Case
from civicgrid.firesafety import services
from civicgrid.firesafety.models import ItemState, SafetyItem
from civicgrid.notifications.models import Notification
from civicgrid.people.models import Building


def test_an_expired_item_raises_exactly_one_case_across_runs(worker_a: Any) -> None:
    today = timezone.localdate()
    building = Building.objects.filter(grid=worker_a.grid).first()
    item = services.add_item(
        worker_a, building, kind="extinguisher", location="3单元1楼", expires_on=today - timedelta(days=1)
    )
    before = Case.objects.count()
    assert services.run_expiry_checks(today)["cases"] == 1
    assert services.run_expiry_checks(today)["cases"] == 0
    assert services.run_expiry_checks(today + timedelta(days=1))["cases"] == 0
    item.refresh_from_db()
    assert Case.objects.count() == before + 1
    assert item.state == ItemState.EXPIRED and item.case is not None
    assert item.case.category.code == "0301" and item.case.building_id == building.pk


def test_an_item_about_to_expire_is_reminded_once_to_the_grid_worker(worker_a: Any) -> None:
    today = timezone.localdate()
    building = Building.objects.filter(grid=worker_a.grid).first()
    item = services.add_item(
        worker_a, building, kind="extinguisher", location="2楼", expires_on=today + timedelta(days=10)
    )
    far = services.add_item(
        worker_a, building, kind="extinguisher", location="5楼", expires_on=today + timedelta(days=90)
    )
    assert services.run_expiry_checks(today) == {"reminded": 1, "cases": 0}
    assert services.run_expiry_checks(today) == {"reminded": 0, "cases": 0}
    item.refresh_from_db()
    far.refresh_from_db()
    assert item.state == ItemState.EXPIRING and far.state == ItemState.OK
    assert Notification.objects.filter(user=worker_a, verb="firesafety.expiring").count() == 1


def test_a_new_expiry_date_after_a_check_starts_the_reminders_again(worker_a: Any) -> None:
    today = timezone.localdate()
    building = Building.objects.filter(grid=worker_a.grid).first()
    item = services.add_item(
        worker_a, building, kind="extinguisher", location="1楼", expires_on=today + timedelta(days=5)
    )
    services.run_expiry_checks(today)
    services.check_item(worker_a, item, state=ItemState.OK, expires_on=today + timedelta(days=365))
    item.refresh_from_db()
    assert item.reminded_at is None and item.state == ItemState.OK
    assert SafetyItem.objects.filter(pk=item.pk, expires_on=today + timedelta(days=365)).exists()
