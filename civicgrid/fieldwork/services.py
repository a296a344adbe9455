"""Offline sync: a phone sends a batch of entries, each with its client id; each client id creates exactly one record.

Entries are applied in order, each in its own transaction together with its SyncReceipt, so a batch cut off
mid-way (the phone lost the network) leaves complete entries only, and resending the batch returns the
records made the first time ("duplicate") instead of making new ones.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from civicgrid.areas.models import Grid
from civicgrid.core.errors import ServiceError
from civicgrid.disputes import services as disputes
from civicgrid.patrols import services as patrols
from civicgrid.patrols.models import ChecklistItem, Patrol
from civicgrid.people.models import Building, Household
from civicgrid.visits import services as visits

from .models import SyncReceipt

KINDS = ("patrol_start", "patrol_finish", "finding", "visit", "dispute", "screening")
MAX_BATCH = 100


def _uuid(value: Any, field: str = "client_id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError) as exc:
        raise ServiceError(_("Client id: not a valid UUID."), field=field) from exc


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise ServiceError(_("Time: not an ISO-8601 date and time."), field="at")
    return parsed


def _float(data: Mapping[str, Any], key: str) -> float | None:
    v = data.get(key)
    if v in (None, ""):
        return None
    try:
        return float(v)
    except (TypeError, ValueError) as exc:
        raise ServiceError(_("%(f)s: not a number.") % {"f": key}, field=key) from exc


def _patrol(actor: Any, client_id: Any) -> Patrol:
    patrol = (
        Patrol.objects.select_related("grid__community")
        .filter(client_id=_uuid(client_id, "patrol"), walker=actor)
        .first()
    )
    if patrol is None:
        raise ServiceError(_("Patrol: unknown patrol (send its start first)."), field="patrol")
    return patrol


def _apply(
    actor: Any, kind: str, cid: uuid.UUID, at: datetime | None, data: Mapping[str, Any], photo: UploadedFile | None
) -> tuple[str, int]:
    if kind == "patrol_start":
        grid = Grid.objects.select_related("community").filter(pk=data.get("grid_id") or actor.grid_id).first()
        if grid is None:
            raise ServiceError(_("Grid: unknown grid."), field="grid_id")
        p = patrols.start_patrol(
            actor,
            grid,
            client_id=cid,
            started_at=at,
            lat=_float(data, "lat"),
            lng=_float(data, "lng"),
            tracking=bool(data.get("tracking")),
        )
        return "patrol", p.pk
    if kind == "patrol_finish":
        p = patrols.finish_patrol(
            actor,
            _patrol(actor, data.get("patrol")),
            finished_at=at,
            lat=_float(data, "lat"),
            lng=_float(data, "lng"),
            note=str(data.get("note", "")),
        )
        return "patrol", p.pk
    if kind == "finding":
        patrol = _patrol(actor, data.get("patrol"))
        item = (
            ChecklistItem.objects.select_related("category")
            .filter(code=data.get("item"), active=True)
            .filter(street__isnull=True)
            .first()
        )
        own = (
            ChecklistItem.objects.select_related("category")
            .filter(code=data.get("item"), active=True, street_id=patrol.grid.community.street_id)
            .first()
        )
        item = own or item
        if item is None:
            raise ServiceError(_("Checklist item: unknown item."), field="item")
        building = Building.objects.filter(pk=data["building_id"]).first() if data.get("building_id") else None
        f = patrols.record_finding(
            actor,
            patrol,
            item,
            note=str(data.get("note", "")),
            lat=_float(data, "lat"),
            lng=_float(data, "lng"),
            building=building,
            photo=photo,
            solved_on_spot=bool(data.get("solved_on_spot")),
            client_id=cid,
            found_at=at,
        )
        return "finding", f.pk
    if kind == "visit":
        household = Household.objects.select_related("grid", "house").filter(pk=data.get("household_id")).first()
        if household is None:
            raise ServiceError(_("Household: unknown household."), field="household_id")
        v = visits.record_visit(
            actor,
            household,
            purpose=str(data.get("purpose", "care")),
            found=str(data.get("found", "")),
            needs=str(data.get("needs", "")),
            risks=str(data.get("risks", "")),
            follow_up=str(data.get("follow_up", "none")),
            follow_up_note=str(data.get("follow_up_note", "")),
            case_category=str(data.get("case_category", "")),
            client_id=cid,
            visited_at=at,
        )
        return "visit", v.pk
    if kind == "dispute":
        grid = Grid.objects.filter(pk=data.get("grid_id") or actor.grid_id).first()
        if grid is None:
            raise ServiceError(_("Grid: unknown grid."), field="grid_id")
        parties = data.get("parties") or []
        if not isinstance(parties, list):
            raise ServiceError(_("Parties: a list of names."), field="parties")
        d = disputes.record_dispute(
            actor,
            grid,
            kind=str(data.get("kind", "")),
            summary=str(data.get("summary", "")),
            parties=[dict(p) for p in parties],
            client_id=cid,
            found_at=at,
        )
        return "dispute", d.pk
    if kind == "screening":
        grid = Grid.objects.filter(pk=data.get("grid_id") or actor.grid_id).first()
        month = parse_date(str(data.get("month", "")))
        if grid is None or month is None:
            raise ServiceError(_("Screening: grid and month (YYYY-MM-01) are needed."), field="month")
        s = disputes.submit_screening(
            actor, grid, month, nothing_found=bool(data.get("nothing_found")), note=str(data.get("note", ""))
        )
        return "screening", s.pk
    raise ServiceError(_("Kind: unknown entry kind “%(k)s”.") % {"k": kind}, field="kind")


def accept_batch(
    actor: Any, entries: list[Mapping[str, Any]], files: Mapping[str, UploadedFile] | None = None
) -> list[dict[str, Any]]:
    """Apply a batch of offline entries; one result per entry: created, duplicate or error (with field and message)."""
    if len(entries) > MAX_BATCH:
        raise ServiceError(_("Batch: at most %(n)d entries at a time.") % {"n": MAX_BATCH}, field="entries")
    files = files or {}
    results: list[dict[str, Any]] = []
    for entry in entries:
        raw_id = entry.get("client_id")
        try:
            cid = _uuid(raw_id)
            receipt = SyncReceipt.objects.filter(client_id=cid).first()
            if receipt is not None:
                results.append(
                    {"client_id": str(cid), "status": "duplicate", "kind": receipt.kind, "id": receipt.object_id}
                )
                continue
            kind = str(entry.get("kind", ""))
            photo = files.get(str(entry.get("photo"))) if entry.get("photo") else None
            with transaction.atomic():
                obj_kind, obj_id = _apply(actor, kind, cid, _time(entry.get("at")), entry.get("data") or {}, photo)
                SyncReceipt.objects.create(client_id=cid, kind=obj_kind, object_id=obj_id, user=actor)
            results.append({"client_id": str(cid), "status": "created", "kind": obj_kind, "id": obj_id})
        except IntegrityError:
            # The same client id arrived on another connection at the same moment: that one made the record.
            receipt = SyncReceipt.objects.filter(client_id=_uuid(raw_id)).first()
            if receipt is None:
                results.append(
                    {"client_id": str(raw_id), "status": "error", "field": "", "message": _("Conflict, please retry.")}
                )
            else:
                results.append(
                    {"client_id": str(raw_id), "status": "duplicate", "kind": receipt.kind, "id": receipt.object_id}
                )
        except ServiceError as exc:
            results.append(
                {"client_id": str(raw_id), "status": "error", "field": exc.field or "", "message": exc.message}
            )
        except PermissionDenied:
            results.append(
                {
                    "client_id": str(raw_id),
                    "status": "error",
                    "field": "",
                    "message": _("Not allowed: you can only record in your own grid."),
                }
            )
    return results
