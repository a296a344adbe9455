"""The demo field work holds together: what the pages count matches what the rows say."""

from __future__ import annotations

import random
from typing import Any

from django.db.models import Count, F

from civicgrid.disputes.models import Dispute, MonthlyScreening
from civicgrid.fieldwork.demo import seed_fieldwork
from civicgrid.firesafety.models import SafetyItem
from civicgrid.patrols.models import Finding, Patrol
from civicgrid.visits.models import Visit


def test_the_demo_field_work_is_consistent(db: Any, settings: Any) -> None:
    counts = seed_fieldwork(random.Random(3))
    assert counts["patrols"] == Patrol.objects.count() > 0
    assert counts["findings"] == Finding.objects.count() > 0
    assert counts["visits"] == Visit.objects.count() > 0
    # Every finding either was solved on the spot or has its case, with the checklist item's category.
    for f in Finding.objects.select_related("item", "case"):
        assert f.solved_on_spot or (f.case is not None and f.case.category_id == f.item.category_id)
        assert f.found_at >= f.patrol.started_at
    # Expired extinguishers have their case; nothing in date has one.
    for item in SafetyItem.objects.filter(case__isnull=False):
        assert item.expires_on is not None and item.state == "expired"
    # A screening says 零报告 exactly when its grid recorded no dispute that month.
    for s in MonthlyScreening.objects.all():
        n = Dispute.objects.filter(grid=s.grid, found_at__year=s.month.year, found_at__month=s.month.month).count()
        assert s.disputes_found == n and s.nothing_found == (n == 0)
    # Every visit is by someone who works the household's grid.
    assert not Visit.objects.exclude(visitor__grid=F("grid")).exists()
    assert all(row["n"] >= 1 for row in Dispute.objects.values("id").annotate(n=Count("parties")))
