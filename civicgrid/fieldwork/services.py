"""Offline sync: a phone sends a batch of entries, each with its client id; each client id creates exactly one record.

Entries are applied in order, each in its own transaction together with its SyncReceipt, so a batch cut off
mid-way (the phone lost the network) leaves complete entries only, and resending the batch returns the
records made the first time ("duplicate") instead of making new ones.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
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

KINDS = ("patrol_start", "patrol_finish", "finding", "trace", "visit", "dispute", "screening")
MAX_BATCH = 100
MAX_TRACE_POINTS = 500  # per entry; the phone sends a route in pieces


def _uuid(value: Any, field: str = "client_id") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except (ValueError, TypeError) as exc:
        raise ServiceError(_("Client id: not a valid UUID."), field=field) from exc


def _time(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parse_datetime(str(value))
    except ValueError:
        parsed = None
    if parsed is None:
        raise ServiceError(_("Time: not an ISO-8601 date and time."), field="at")
    if timezone.is_naive(parsed):  # a phone that leaves out the offset means local time (Asia/Shanghai)
        parsed = timezone.make_aware(parsed)
    return parsed


def _id(data: Mapping[str, Any], key: str) -> int | None:
    """A database id from the entry (a number or a string of digits), or None when it is left out."""
    v = data.get(key)
    if v in (None, ""):
        return None
    if isinstance(v, bool) or not str(v).isdigit():
        raise ServiceError(_("%(f)s: not a valid id.") % {"f": key}, field=key)
    return int(v)


def _float(data: Mapping[str, Any], key: str) -> float | None:
    v = data.get(key)
    if v in (None, ""):
        return None
    try:
        number = float(v)
    except (TypeError, ValueError) as exc:
        raise ServiceError(_("%(f)s: not a number.") % {"f": key}, field=key) from exc
    if not math.isfinite(number):
        raise ServiceError(_("%(f)s: not a number.") % {"f": key}, field=key)
    return number


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
        grid = Grid.objects.select_related("community").filter(pk=_id(data, "grid_id") or actor.grid_id).first()
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
        # The street's own item of that code if it has one, else the shipped default (one query).
        item = (
            ChecklistItem.objects.select_related("category")
            .filter(Q(street__isnull=True) | Q(street_id=patrol.grid.community.street_id))
            .filter(code=str(data.get("item", "")), active=True)
            .order_by(F("street_id").desc(nulls_last=True))
            .first()
        )
        if item is None:
            raise ServiceError(_("Checklist item: unknown item."), field="item")
        building_id = _id(data, "building_id")
        building = Building.objects.filter(pk=building_id).first() if building_id else None
        if building_id and building is None:
            raise ServiceError(_("Building: unknown building."), field="building_id")
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
    if kind == "trace":
        patrol = _patrol(actor, data.get("patrol"))
        raw = data.get("points")
        if not isinstance(raw, list) or len(raw) > MAX_TRACE_POINTS:
            raise ServiceError(_("Route: a list of at most %(n)d points.") % {"n": MAX_TRACE_POINTS}, field="points")
        points = []
        for point in raw:
            if not isinstance(point, list | tuple) or len(point) != 3:
                raise ServiceError(_("Route: each point is [time, latitude, longitude]."), field="points")
            at_point = _time(point[0])
            lat, lng = _float({"lat": point[1]}, "lat"), _float({"lng": point[2]}, "lng")
            if at_point is None or lat is None or lng is None:
                raise ServiceError(_("Route: each point is [time, latitude, longitude]."), field="points")
            points.append((patrols.check_recorded_time(at_point), lat, lng))
        patrols.add_trace_points(actor, patrol, points)
        return "trace", patrol.pk
    if kind == "visit":
        household_id = _id(data, "household_id")
        household = (
            Household.objects.select_related("grid", "house").filter(pk=household_id).first() if household_id else None
        )
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
        grid = Grid.objects.filter(pk=_id(data, "grid_id") or actor.grid_id).first()
        if grid is None:
            raise ServiceError(_("Grid: unknown grid."), field="grid_id")
        parties = data.get("parties") or []
        if not isinstance(parties, list) or not all(isinstance(p, Mapping) for p in parties):
            raise ServiceError(_("Parties: a list of names."), field="parties")
        d = disputes.record_dispute(
            actor,
            grid,
            kind=str(data.get("kind", "")),
            summary=str(data.get("summary", "")),
            parties=[{"name": str(p.get("name") or ""), "phone": str(p.get("phone") or "")} for p in parties],
            client_id=cid,
            found_at=at,
        )
        return "dispute", d.pk
    if kind == "screening":
        grid = Grid.objects.filter(pk=_id(data, "grid_id") or actor.grid_id).first()
        try:
            month = parse_date(str(data.get("month", "")))
        except ValueError:
            month = None
        if grid is None or month is None:
            raise ServiceError(_("Screening: grid and month (YYYY-MM-01) are needed."), field="month")
        s = disputes.submit_screening(
            actor, grid, month, nothing_found=bool(data.get("nothing_found")), note=str(data.get("note", ""))
        )
        return "screening", s.pk
    raise ServiceError(_("Kind: unknown entry kind “%(k)s”.") % {"k": kind}, field="kind")


def _error(client_id: Any, message: str, field: str = "") -> dict[str, Any]:
    return {"client_id": str(client_id), "status": "error", "field": field, "message": message}


def _seen(actor: Any, cid: uuid.UUID, receipt: SyncReceipt) -> dict[str, Any]:
    """The answer for a client id that already has a receipt: the same record again, for its own sender only."""
    if receipt.user_id != actor.pk:
        # Client ids are random UUIDs: a clash means a replayed or forged entry. Say nothing about the record.
        return _error(cid, _("Client id: already used by someone else."), "client_id")
    return {"client_id": str(cid), "status": "duplicate", "kind": receipt.kind, "id": receipt.object_id}


def _known_receipts(entries: list[Any]) -> dict[uuid.UUID, SyncReceipt]:
    """The receipts of the batch's client ids, in one query (most entries of a resent batch have one)."""
    ids = []
    for entry in entries:
        try:
            ids.append(uuid.UUID(str(entry.get("client_id"))))
        except (AttributeError, ValueError, TypeError):
            continue
    return {r.client_id: r for r in SyncReceipt.objects.filter(client_id__in=ids)} if ids else {}


class _Durability:
    """On PostgreSQL the batch's entries commit without waiting for their WAL to reach the disk, and the answer waits
    for one flush that covers them all: one disk wait per batch instead of one per entry.

    Why it is safe: an entry is lost in a crash only together with its receipt (one transaction), and the phone
    deletes an entry only after the answer, which comes after the flush. Why it matters: the audit trail's head
    row is locked from an entry's audit event to its commit; a commit that waits for the disk keeps every other
    phone's entry waiting behind it (see docs/performance.md, "Field work")."""

    def __init__(self) -> None:
        self.on = connection.vendor == "postgresql"
        self.pending_receipt: int | None = None

    def __enter__(self) -> _Durability:
        if self.on:
            with connection.cursor() as cur:
                cur.execute("SET synchronous_commit TO OFF")  # this connection, until __exit__
        return self

    def committed(self, receipt_id: int) -> None:
        self.pending_receipt = receipt_id

    def __exit__(self, *exc: object) -> None:
        """Back to synchronous commits; then a synchronous commit of a write, which waits for the WAL up to its own
        record, after every earlier commit of this connection. Touching the last receipt is the cheapest write."""
        if not self.on:
            return
        with connection.cursor() as cur:
            cur.execute("RESET synchronous_commit")
        if self.pending_receipt is not None:
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute(
                    f"UPDATE {SyncReceipt._meta.db_table} SET received_at = received_at WHERE id = %s",
                    [self.pending_receipt],
                )


def accept_batch(
    actor: Any, entries: list[Mapping[str, Any]], files: Mapping[str, UploadedFile] | None = None
) -> list[dict[str, Any]]:
    """Apply a batch of offline entries; one result per entry: created, duplicate or error (with field and message).

    Entries are applied in the order sent (a patrol's start before its findings), each in its own transaction
    with its receipt. An entry that fails leaves nothing behind and does not stop the others. Everything created
    is on disk before this returns."""
    if not isinstance(entries, list):
        raise ServiceError(_("Batch: a list of entries."), field="entries")
    if len(entries) > MAX_BATCH:
        raise ServiceError(_("Batch: at most %(n)d entries at a time.") % {"n": MAX_BATCH}, field="entries")
    files = files or {}
    known = _known_receipts([e for e in entries if isinstance(e, Mapping)])
    with _Durability() as durability:
        return [_accept_one(actor, entry, files, known, durability) for entry in entries]


def _accept_one(
    actor: Any,
    entry: Any,
    files: Mapping[str, UploadedFile],
    known: dict[uuid.UUID, SyncReceipt],
    durability: _Durability,
) -> dict[str, Any]:
    if not isinstance(entry, Mapping):
        return _error("", _("Entry: not an object."), "entry")
    raw_id = entry.get("client_id")
    try:
        cid = _uuid(raw_id)
        receipt = known.get(cid)
        if receipt is not None:
            return _seen(actor, cid, receipt)
        kind = str(entry.get("kind", ""))
        data = entry.get("data") or {}
        if not isinstance(data, Mapping):
            raise ServiceError(_("Entry: its data is not an object."), field="data")
        photo = files.get(str(entry.get("photo"))) if entry.get("photo") else None
        with transaction.atomic():
            obj_kind, obj_id = _apply(actor, kind, cid, _time(entry.get("at")), data, photo)
            receipt = SyncReceipt.objects.create(client_id=cid, kind=obj_kind, object_id=obj_id, user=actor)
        durability.committed(receipt.pk)
        known[cid] = receipt  # the same client id twice in one batch: the second is a duplicate
        return {"client_id": str(cid), "status": "created", "kind": obj_kind, "id": obj_id}
    except IntegrityError:
        # The same client id arrived on another connection at the same moment: that one made the record.
        receipt = SyncReceipt.objects.filter(client_id=_uuid(raw_id)).first()
        if receipt is None:
            return _error(raw_id, _("Conflict, please retry."))
        return _seen(actor, _uuid(raw_id), receipt)
    except ServiceError as exc:
        return _error(raw_id, exc.message, exc.field or "")
    except PermissionDenied:
        return _error(raw_id, _("Not allowed: you can only record in your own grid."))
