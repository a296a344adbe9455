"""Idempotency under fire: fifty concurrent POSTs of one report with one Idempotency-Key, over real HTTP against
the live server (each request on its own database connection), create exactly one case."""

from __future__ import annotations

import json
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from civicgrid.areas.models import Grid, Street
from civicgrid.audit.models import AuditEvent
from civicgrid.audit.services import verify_chain
from civicgrid.cases.models import Case, CaseEvent, IdempotencyKey
from civicgrid.notifications.models import Notification
from civicgrid.open311.services import create_api_key
from civicgrid.open311.tests.live import ensure_world, http

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENT = 50


def test_fifty_concurrent_posts_with_one_idempotency_key_create_one_case(live_server: Any) -> None:
    ensure_world()
    plain = create_api_key(None, "并发测试", street=Street.objects.order_by("id").first())[1]
    grid = Grid.objects.exclude(boundary=None).order_by("id").first()
    assert grid is not None
    body = {"description": "楼道里有人飞线给电动车充电，很危险", "lat": grid.centroid_lat, "lng": grid.centroid_lng}
    headers = {"X-API-Key": plain, "Idempotency-Key": "b5c1e0e2-report-1"}
    before = Case.objects.count()
    start = threading.Barrier(CONCURRENT)

    def send(_: int) -> tuple[int, dict[str, str], bytes]:
        start.wait()  # all fifty leave together
        return http("POST", f"{live_server.url}/api/v1/cases", body=body, headers=headers)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(send, range(CONCURRENT)))

    assert Counter(status for status, _h, _b in results) == {201: 1, 200: CONCURRENT - 1}, [r[2] for r in results]
    assert all(h.get("Idempotent-Replayed") == "true" for status, h, _b in results if status == 200)
    codes = {json.loads(b)["tracking_code"] for _s, _h, b in results}
    assert len(codes) == 1
    case = Case.objects.get(tracking_code=codes.pop())
    assert Case.objects.count() == before + 1
    assert IdempotencyKey.objects.filter(key="b5c1e0e2-report-1").count() == 1
    # Everything a submission writes happened once: the timeline, the audit trail, the owner's inbox.
    assert CaseEvent.objects.filter(case=case).count() == 1
    assert AuditEvent.objects.filter(action="cases.submit", target_id=str(case.pk)).count() == 1
    assert Notification.objects.filter(verb="case.new", url__contains=f"/{case.pk}/").count() == 1
    assert list(verify_chain()) == []
