"""The demo case history: deterministic, and every row as the services would have left it."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime
from typing import Any

from django.db import transaction

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.cases import services
from civicgrid.cases.calendar import TZ
from civicgrid.cases.choices import Status
from civicgrid.cases.demo import seed_cases
from civicgrid.cases.metrics import case_metrics
from civicgrid.cases.models import Case, CaseEvent, ExtensionRequest
from civicgrid.core.demo.street import DemoBuilder

NOW = datetime(2026, 11, 20, 15, 30, tzinfo=TZ)


def fingerprint() -> list[tuple[Any, ...]]:
    return list(
        Case.objects.order_by("created_at", "tracking_code").values_list(
            "tracking_code", "category__code", "created_at", "status", "description", "grid_id", "closed_at"
        )
    )


def test_the_same_seed_gives_the_same_history(db: Any) -> None:
    runs = []
    for _ in range(2):
        with transaction.atomic():
            counts = seed_cases(random.Random(5), days=40, per_day=6, now=NOW)
            runs.append((counts, fingerprint(), CaseEvent.objects.count()))
            transaction.set_rollback(True)
    assert runs[0] == runs[1]
    assert runs[0][0]["cases"] > 150


def test_every_case_is_as_the_services_would_have_left_it(db: Any) -> None:
    counts = seed_cases(random.Random(11), days=120, per_day=8, now=NOW)
    assert counts["cases"] == Case.objects.count() > 600
    workers = {u.grid_id: u.pk for u in User.objects.filter(role=Role.GRID_WORKER)}
    events: dict[int, list[CaseEvent]] = {}
    for e in CaseEvent.objects.order_by("at", "id"):
        events.setdefault(e.case_id, []).append(e)
    for case in Case.objects.select_related("category"):
        timeline = events[case.pk]
        assert timeline[0].action == "submit" and timeline[0].at == case.created_at
        assert [e.at for e in timeline] == sorted(e.at for e in timeline)
        assert all(e.at <= NOW for e in timeline)
        assert timeline[-1].to_status == case.status or timeline[-1].action == "whistle_report"
        assert case.owner_id == workers[case.grid_id]
        stamps = [t for t in (case.created_at, case.accepted_at, case.resolved_at, case.closed_at) if t]
        assert stamps == sorted(stamps)
        due = services.current_due(case)
        assert case.overdue == (due is not None and due < NOW)
        if case.accepted_at and case.accept_due_at and not case.on_the_spot:
            assert case.accepted_on_time == (case.accepted_at <= case.accept_due_at)
        if case.status in (Status.CLOSED, Status.SURVEYED):
            assert case.resolved_on_time is not None and case.closed_at is not None
        if case.status in (Status.DISPATCHED, Status.ACKNOWLEDGED):
            assert case.responder_id is not None
        actions = Counter(e.action for e in timeline)
        assert case.rework_count == actions["rework"]
        assert case.return_count == actions["return"]
        assert case.extension_count == actions["extension_approved"]
        unsatisfied = sum(1 for e in timeline if e.action == "survey" and e.to_status == Status.IN_PROGRESS)
        assert case.redo_count == unsatisfied
        assert case.updated_at == timeline[-1].at
    assert ExtensionRequest.objects.filter(created_at__gt=NOW).count() == 0


def test_the_history_has_every_outcome(db: Any) -> None:
    seed_cases(random.Random(3), days=365, per_day=8, now=NOW)
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {Status.SURVEYED, Status.CLOSED, Status.REJECTED, Status.PARKED, Status.IN_PROGRESS} <= statuses
    assert Case.objects.filter(on_the_spot=True).exists()
    assert Case.objects.filter(overdue=True).exists()
    assert (
        Case.objects.filter(status=Status.IN_PROGRESS, redo_count__gt=0).exists()
        or Case.objects.filter(redo_count__gt=0).exists()
    )
    [m] = case_metrics(Case.objects.all(), start=datetime(2025, 1, 1, tzinfo=TZ), end=NOW)
    rates = m.rates()
    assert 0.8 < rates["on_time_rate"] < 0.97  # type: ignore[operator]
    assert 0.9 < rates["satisfaction_rate"] < 1.0  # type: ignore[operator]
    assert 0 < rates["rework_rate"] < 0.15  # type: ignore[operator]
    # Seasons: e-bike charging is reported more in winter than in summer, noise the other way round.
    winter = Case.objects.filter(created_at__month__in=(12, 1, 2))
    summer = Case.objects.filter(created_at__month__in=(6, 7, 8))
    assert winter.filter(category__code="0303").count() > summer.filter(category__code="0303").count()
    assert summer.filter(category__code="0105").count() > winter.filter(category__code="0105").count()


def test_the_tiny_world_is_built_without_cases_unless_asked(db: Any) -> None:
    assert DemoBuilder(scale="tiny").with_cases is False
    assert DemoBuilder(scale="district").with_cases is False
    assert DemoBuilder(scale="street").with_cases is True
    assert DemoBuilder(scale="tiny", cases=True).with_cases is True
