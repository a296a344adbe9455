"""The fire-safety register: recording checks; reminders before expiry; a case for every expired item."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.audit.services import record
from civicgrid.core.errors import ServiceError, require
from civicgrid.notifications.services import notify
from civicgrid.people.models import Building

from .models import ItemKind, ItemState, SafetyItem

REMIND_DAYS = 30


def add_item(actor: Any, building: Building, *, kind: str, location: str, expires_on: date | None = None) -> SafetyItem:
    require(actor, "visits.record_in_grid", building.grid)
    if kind not in ItemKind.values:
        raise ServiceError(_("Kind: unknown fire-safety item."), field="kind")
    if not location.strip():
        raise ServiceError(_("Where: say where in the building the item is."), field="location")
    with transaction.atomic():
        item = SafetyItem.objects.create(building=building, kind=kind, location=location.strip(), expires_on=expires_on)
        record(actor, "firesafety.add_item", item, after={"kind": kind, "expires_on": str(expires_on)})
    return item


def check_item(actor: Any, item: SafetyItem, *, state: str, expires_on: date | None = None) -> SafetyItem:
    require(actor, "visits.record_in_grid", item.building.grid)
    if state not in ItemState.values:
        raise ServiceError(_("State: unknown state."), field="state")
    with transaction.atomic():
        before = {"state": item.state, "expires_on": str(item.expires_on)}
        item.state, item.last_checked_on = state, timezone.localdate()
        if expires_on is not None:
            item.expires_on, item.reminded_at = expires_on, None
        item.save()
        record(
            actor,
            "firesafety.check_item",
            item,
            before=before,
            after={"state": state, "expires_on": str(item.expires_on)},
        )
    return item


def run_expiry_checks(today: date | None = None) -> dict[str, int]:
    """Daily: remind the grid worker 30 days before expiry; raise a case (消防器材过期) for each expired item."""
    from civicgrid.cases.choices import Channel
    from civicgrid.cases.services import Intake, submit_case

    today = today or timezone.localdate()
    counts = {"reminded": 0, "cases": 0}
    soon = SafetyItem.objects.filter(
        expires_on__gt=today, expires_on__lte=today + timedelta(days=REMIND_DAYS), reminded_at=None
    ).select_related("building__grid")
    for item in soon:
        with transaction.atomic():
            workers = User.objects.filter(grid=item.building.grid, role=Role.GRID_WORKER, is_active=True)
            notify(
                workers,
                verb="firesafety.expiring",
                text=_("%(i)s at %(b)s expires on %(d)s")
                % {"i": item.get_kind_display(), "b": item.building.name, "d": item.expires_on},
                url="",
            )
            item.state, item.reminded_at = ItemState.EXPIRING, timezone.now()
            item.save(update_fields=["state", "reminded_at"])
            counts["reminded"] += 1
    expired = SafetyItem.objects.filter(expires_on__lte=today, case__isnull=True).select_related("building__grid")
    for item in expired:
        with transaction.atomic():
            case, _c = submit_case(
                None,
                Intake(
                    description=f"{item.building.name}{item.location}的{item.get_kind_display()}已于{item.expires_on}过期，请及时更换。",
                    category_code="0301",
                    kind="report",
                    channel=Channel.PATROL,
                    building_id=item.building_id,
                ),
                idempotency_key=f"safety:{item.pk}:{item.expires_on}",
                idempotency_scope="firesafety",
            )
            item.state, item.case = ItemState.EXPIRED, case
            item.save(update_fields=["state", "case"])
            record(None, "firesafety.expired_case", item, after={"case": case.tracking_code})
            counts["cases"] += 1
    return counts
