"""Every change to patrols: start, finish, record a finding (solved on the spot, or a case with one tap), traces."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Grid
from civicgrid.audit.services import record
from civicgrid.cases.choices import Channel
from civicgrid.core.errors import ServiceError, require
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
