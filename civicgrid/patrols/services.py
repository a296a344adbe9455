"""Every change to patrols: start, finish, record a finding (solved on the spot, or a case with one tap), traces."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.areas.models import Grid
from civicgrid.audit.services import record
from civicgrid.cases.choices import Channel
from civicgrid.core.errors import ServiceError, field_message, require
from civicgrid.people.models import Building

from .models import ChecklistItem, Finding, Patrol, TracePoint


def check_recorded_time(at: datetime | None) -> datetime:
    """Entries recorded offline carry the phone's time; accept the past (up to 30 days), not the future."""
    now = timezone.now()
    if at is None:
        return now
    if at > now + timedelta(minutes=10):
        raise ServiceError(_("Time: the recorded time is in the future (check the phone's clock)."), field="at")
    if at < now - timedelta(days=30):
        raise ServiceError(_("Time: entries older than 30 days cannot be synced."), field="at")
    return at


def _check_point(lat: float | None, lng: float | None) -> None:
    if (lat is None) != (lng is None):
        raise ServiceError(_("Location: both latitude and longitude are needed."), field="lat")
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lng <= 180):  # type: ignore[operator]
        raise ServiceError(_("Location: latitude/longitude out of range."), field="lat")


def start_patrol(
    actor: Any,
    grid: Grid,
    *,
    client_id: uuid.UUID | None = None,
    started_at: datetime | None = None,
    lat: float | None = None,
    lng: float | None = None,
    tracking: bool = False,
) -> Patrol:
    require(actor, "patrols.record_in_grid", grid)
    _check_point(lat, lng)
    with transaction.atomic():
        patrol = Patrol.objects.create(
            grid=grid,
            walker=actor,
            client_id=client_id,
            started_at=check_recorded_time(started_at),
            start_lat=lat,
            start_lng=lng,
            tracking=tracking,
        )
        record(actor, "patrols.start", patrol, after={"grid": grid.code, "tracking": tracking})
    return patrol


def finish_patrol(
    actor: Any,
    patrol: Patrol,
    *,
    finished_at: datetime | None = None,
    lat: float | None = None,
    lng: float | None = None,
    note: str = "",
) -> Patrol:
    require(actor, "patrols.record_in_grid", patrol.grid)
    if patrol.walker_id != actor.pk:
        raise ServiceError(_("Only the person who started a patrol can finish it."))
    _check_point(lat, lng)
    if patrol.finished_at is not None:
        return patrol  # finishing twice (a resent entry) changes nothing
    at = check_recorded_time(finished_at)
    if at < patrol.started_at:
        raise ServiceError(_("Time: a patrol cannot finish before it started."), field="at")
    with transaction.atomic():
        patrol.finished_at, patrol.end_lat, patrol.end_lng, patrol.note = at, lat, lng, note.strip()
        patrol.save(update_fields=["finished_at", "end_lat", "end_lng", "note"])
        record(actor, "patrols.finish", patrol, after={"finished_at": at.isoformat()})
    return patrol


def on_checklist(item: ChecklistItem, street_id: int | None) -> bool:
    """Whether the item is on the street's checklist (checklist_for), asked with at most one query."""
    if not item.active:
        return False
    if item.street_id is not None:
        return item.street_id == street_id
    return street_id is None or not ChecklistItem.objects.filter(street_id=street_id, active=True).exists()


def record_finding(
    actor: Any,
    patrol: Patrol,
    item: ChecklistItem,
    *,
    note: str = "",
    lat: float | None = None,
    lng: float | None = None,
    building: Building | None = None,
    photo: UploadedFile | None = None,
    solved_on_spot: bool = False,
    client_id: uuid.UUID | None = None,
    found_at: datetime | None = None,
) -> Finding:
    """Record what was found. Not solved on the spot → a case is raised at once, pre-filled from the checklist item."""
    require(actor, "patrols.record_in_grid", patrol.grid)
    if not on_checklist(item, patrol.grid.community.street_id):
        raise ServiceError(_("Checklist item: not on this street's checklist."), field="item")
    _check_point(lat, lng)
    if building is not None and building.grid_id != patrol.grid_id:
        raise ServiceError(_("Building: it is not in the patrol's grid."), field="building")
    if solved_on_spot and not note.strip():
        raise ServiceError(_("Note: say what was done on the spot."), field="note")
    if photo is not None:
        from civicgrid.cases.services import check_photos

        check_photos([photo])
    at = check_recorded_time(found_at)
    with transaction.atomic():
        finding = Finding.objects.create(
            patrol=patrol,
            client_id=client_id,
            item=item,
            note=note.strip(),
            lat=lat,
            lng=lng,
            building=building,
            found_at=at,
            solved_on_spot=solved_on_spot,
        )
        if photo is not None:
            finding.photo.save(photo.name or "photo.jpg", photo, save=True)
        if not solved_on_spot:
            finding.case = raise_case_from_finding(actor, finding)
            finding.save(update_fields=["case"])
        record(
            actor,
            "patrols.record_finding",
            finding,
            after={"item": item.code, "solved_on_spot": solved_on_spot, "case": finding.case_id},
        )
    return finding


def raise_case_from_finding(actor: Any, finding: Finding) -> Any:
    from civicgrid.cases.services import Intake, submit_case

    description = f"{finding.item.name}：{finding.note}" if finding.note else finding.item.name
    case, _created = submit_case(
        actor,
        Intake(
            description=description,
            category_code=finding.item.category.code,
            kind="report",
            channel=Channel.PATROL,
            lat=finding.lat,
            lng=finding.lng,
            building_id=finding.building_id,
            grid_id=None if (finding.lat is not None or finding.building_id) else finding.patrol.grid_id,
        ),
        idempotency_key=f"finding:{finding.pk}",
        idempotency_scope="patrol",
    )
    return case


def add_trace_points(actor: Any, patrol: Patrol, points: list[tuple[datetime, float, float]]) -> int:
    """Route points are kept only when the walker turned tracking on."""
    require(actor, "patrols.record_in_grid", patrol.grid)
    if patrol.walker_id != actor.pk or not patrol.tracking:
        return 0
    TracePoint.objects.bulk_create([TracePoint(patrol=patrol, at=at, lat=lat, lng=lng) for at, lat, lng in points])
    return len(points)


def purge_old_traces(now: datetime | None = None) -> int:
    """Delete route points older than settings.CIVICGRID_TRACE_RETENTION_DAYS (personal data kept only as long as needed)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.CIVICGRID_TRACE_RETENTION_DAYS)
    deleted, _ = TracePoint.objects.filter(at__lt=cutoff).delete()
    if deleted:
        record(
            None,
            "patrols.purge_traces",
            None,
            target_type="patrols.tracepoint",
            after={"deleted": deleted, "before": cutoff.isoformat()},
        )
    return deleted


def customise_checklist(actor: Any, street_id: int) -> list[ChecklistItem]:
    """Give the street its own editable copy of the default checklist (once)."""
    require(actor, "patrols.edit_checklist")
    own = list(ChecklistItem.objects.filter(street_id=street_id))
    if own:
        return own
    with transaction.atomic():
        copies = [
            ChecklistItem(street_id=street_id, code=i.code, name=i.name, category=i.category, order=i.order)
            for i in ChecklistItem.objects.filter(street__isnull=True)
        ]
        ChecklistItem.objects.bulk_create(copies)
        record(
            actor,
            "patrols.customise_checklist",
            None,
            target_type="patrols.checklistitem",
            after={"street": street_id, "items": len(copies)},
        )
    return copies


def _own_item(actor: Any, street_id: int, item: ChecklistItem) -> ChecklistItem:
    """The street's own copy of `item`: a default item is mapped to the copy with its code."""
    if item.street_id == street_id:
        return item
    if item.street_id is not None:
        raise ServiceError(_("This checklist item belongs to another street."))
    customise_checklist(actor, street_id)
    own = ChecklistItem.objects.filter(street_id=street_id, code=item.code).first()
    if own is None:
        raise ServiceError(_("This checklist item is not on your street's checklist."))
    return own


def _check_item_fields(name: str, category: Any, order: int | str | None) -> tuple[str, int]:
    from civicgrid.cases.models import Category

    name = name.strip()
    if not name:
        raise ServiceError(
            field_message(pgettext("checklist item", "Name"), _("this field is required.")), field="name"
        )
    if len(name) > 60:
        raise ServiceError(field_message(pgettext("checklist item", "Name"), _("at most 60 characters.")), field="name")
    if not isinstance(category, Category) or not category.is_leaf:
        raise ServiceError(field_message(_("Category"), _("choose a case category.")), field="category")
    try:
        number = int(str(order).strip())
    except (TypeError, ValueError):
        number = -1
    if not 0 <= number <= 32767:
        raise ServiceError(field_message(_("Order"), _("enter a whole number from 0 to 32767.")), field="order")
    return name, number


def _item_state(item: ChecklistItem) -> dict[str, Any]:
    return {
        "street": item.street_id,
        "code": item.code,
        "name": item.name,
        "category": item.category.code,
        "order": item.order,
        "active": item.active,
    }


def update_checklist_item(
    actor: Any, item: ChecklistItem, *, name: str, category: Any, order: int | str | None, active: bool
) -> ChecklistItem:
    """A street admin edits an item of their street's checklist (the street gets its own copy first)."""
    require(actor, "patrols.edit_checklist")
    street_id = actor.street_id
    if street_id is None:
        raise ServiceError(_("Only an admin of a street can edit its checklist."))
    name, number = _check_item_fields(name, category, order)
    with transaction.atomic():
        own = _own_item(actor, street_id, item)
        before = _item_state(own)
        own.name, own.category, own.order, own.active = name, category, number, bool(active)
        own.save(update_fields=["name", "category", "order", "active"])
        record(actor, "patrols.update_checklist_item", own, before=before, after=_item_state(own))
    return own


def add_checklist_item(
    actor: Any, street_id: int, *, code: str, name: str, category: Any, order: int | str | None
) -> ChecklistItem:
    """A street admin adds an item to their street's checklist (the street gets its own copy first)."""
    require(actor, "patrols.edit_checklist")
    if actor.street_id != street_id and not actor.is_superuser:
        raise ServiceError(_("You can only edit your own street's checklist."))
    code = code.strip()
    if not re.fullmatch(r"[a-z0-9_]{1,30}", code):
        raise ServiceError(
            field_message(_("Code"), _("up to 30 lowercase letters, digits or underscores.")), field="code"
        )
    name, number = _check_item_fields(name, category, order)
    with transaction.atomic():
        customise_checklist(actor, street_id)
        if ChecklistItem.objects.filter(street_id=street_id, code=code).exists():
            raise ServiceError(field_message(_("Code"), _("this code is already used.")), field="code")
        item = ChecklistItem.objects.create(street_id=street_id, code=code, name=name, category=category, order=number)
        record(actor, "patrols.add_checklist_item", item, after=_item_state(item))
    return item
