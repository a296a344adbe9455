"""Reads over the fire-safety register, scoped to the user's area."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from civicgrid.core.scoping import scope_by_grid

from .models import SafetyItem
from .services import REMIND_DAYS


def items_for(user: Any) -> QuerySet[SafetyItem]:
    return scope_by_grid(SafetyItem.objects.select_related("building", "case"), user, grid_path="building__grid")


def expiring(items: QuerySet[SafetyItem], today: date | None = None) -> QuerySet[SafetyItem]:
    """Items that expire within the reminder period (not yet expired)."""
    today = today or timezone.localdate()
    return items.filter(expires_on__gt=today, expires_on__lte=today + timedelta(days=REMIND_DAYS)).order_by(
        "expires_on"
    )


def expired(items: QuerySet[SafetyItem], today: date | None = None) -> QuerySet[SafetyItem]:
    today = today or timezone.localdate()
    return items.filter(expires_on__lte=today).order_by("expires_on")
