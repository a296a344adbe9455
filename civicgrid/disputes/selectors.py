"""Reads over disputes and the monthly screening."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from civicgrid.areas.models import Grid
from civicgrid.areas.selectors import grids_for
from civicgrid.core.scoping import scope_by_grid

from .models import Dispute, MonthlyScreening


def disputes_for(user: Any) -> QuerySet[Dispute]:
    return scope_by_grid(Dispute.objects.select_related("grid", "mediator").prefetch_related("parties"), user)


def screenings_for(user: Any) -> QuerySet[MonthlyScreening]:
    return scope_by_grid(MonthlyScreening.objects.select_related("grid", "reported_by"), user)


def grids_missing_screening(user: Any, month: date) -> QuerySet[Grid]:
    """Grids of the user's area that have not reported for the month (neither disputes nor 零报告)."""
    month = month.replace(day=1)
    return grids_for(user).exclude(screenings__month=month)
