"""Disputes: parties stored encrypted and shown masked; the monthly screening with an explicit 零报告."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from civicgrid.core import crypto
from civicgrid.core.errors import ServiceError
from civicgrid.disputes import services
from civicgrid.disputes.models import DisputeParty, MonthlyScreening
from civicgrid.disputes.selectors import grids_missing_screening

PARTIES = [{"name": "张三丰", "phone": "13912345678"}, {"name": "李四", "phone": ""}]


def this_month() -> date:
    return timezone.localdate().replace(day=1)


def test_parties_are_stored_encrypted_and_shown_masked(worker_a: Any) -> None:
    dispute = services.record_dispute(worker_a, worker_a.grid, kind="neighbour", summary="楼上漏水", parties=PARTIES)
    first, second = DisputeParty.objects.filter(dispute=dispute).order_by("id")
    assert first.name_masked == "张**" and first.phone_masked == "139****5678"
    assert "张三丰" not in first.name_cipher and crypto.decrypt(first.name_cipher) == "张三丰"
    assert second.name_masked == "李*" and second.phone_cipher == ""


def test_a_party_with_a_bad_phone_is_refused(worker_a: Any) -> None:
    with pytest.raises(ServiceError) as exc:
        services.record_dispute(
            worker_a, worker_a.grid, kind="neighbour", summary="x", parties=[{"name": "王五", "phone": "12345"}]
        )
    assert exc.value.field == "parties"


def test_nothing_found_is_refused_when_disputes_were_recorded_this_month(worker_a: Any) -> None:
    services.record_dispute(worker_a, worker_a.grid, kind="rental", summary="押金纠纷", parties=PARTIES[:1])
    with pytest.raises(ServiceError) as exc:
        services.submit_screening(worker_a, worker_a.grid, this_month(), nothing_found=True)
    assert exc.value.field == "nothing_found"
    screening = services.submit_screening(worker_a, worker_a.grid, this_month(), nothing_found=False)
    assert screening.disputes_found == 1


def test_a_second_screening_of_the_month_is_refused(steward_a: Any, worker_a: Any) -> None:
    services.submit_screening(steward_a, steward_a.grid, this_month(), nothing_found=True)
    with pytest.raises(ServiceError):
        services.submit_screening(worker_a, worker_a.grid, this_month().replace(day=15), nothing_found=True)
    assert MonthlyScreening.objects.filter(grid=worker_a.grid).count() == 1


def test_grids_that_have_not_reported_are_listed_for_their_community(staff_a: Any, worker_a: Any) -> None:
    month = this_month()
    before = set(grids_missing_screening(staff_a, month).values_list("pk", flat=True))
    assert worker_a.grid_id in before
    assert all(g.community_id == staff_a.community_id for g in grids_missing_screening(staff_a, month))
    services.submit_screening(worker_a, worker_a.grid, month, nothing_found=True)
    after = set(grids_missing_screening(staff_a, month).values_list("pk", flat=True))
    assert after == before - {worker_a.grid_id}
    last_month = (month - timedelta(days=1)).replace(day=1)
    assert worker_a.grid_id in set(grids_missing_screening(staff_a, last_month).values_list("pk", flat=True))


def test_only_the_grids_own_people_record_and_report(worker_a: Any, grid_b: Any, staff_a: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.submit_screening(worker_a, grid_b, this_month(), nothing_found=True)
    with pytest.raises(PermissionDenied):
        services.record_dispute(staff_a, worker_a.grid, kind="other", summary="x", parties=PARTIES)
