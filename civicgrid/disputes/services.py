"""Recording disputes, mediation sessions, outcomes, and each grid's monthly screening (with 零报告)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Grid
from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.core.errors import ServiceError, field_message, require
from civicgrid.core.validators import phone_error
from civicgrid.patrols.services import check_recorded_time

from .models import Dispute, DisputeKind, DisputeParty, DisputeStatus, MediationSession, MonthlyScreening

AGREEMENT_TYPES = (b"%PDF", b"\xff\xd8\xff", b"\x89PNG")


def mask_name(name: str) -> str:
    """张三丰 → 张**: the family name only."""
    name = name.strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def record_dispute(
    actor: Any,
    grid: Grid,
    *,
    kind: str,
    summary: str,
    parties: list[dict[str, str]],
    client_id: uuid.UUID | None = None,
    found_at: datetime | None = None,
) -> Dispute:
    require(actor, "disputes.record_in_grid", grid)
    if kind not in DisputeKind.values:
        raise ServiceError(_("Kind: unknown dispute kind."), field="kind")
    if not summary.strip():
        raise ServiceError(_("Summary: describe the dispute."), field="summary")
    if len(parties) < 1:
        raise ServiceError(_("Parties: name at least one party."), field="parties")
    for p in parties:
        if not p.get("name", "").strip():
            raise ServiceError(_("Parties: every party needs a name."), field="parties")
        if p.get("phone") and (err := phone_error(p["phone"])):
            raise ServiceError(field_message(_("Parties: phone"), err), field="parties")
    at = check_recorded_time(found_at)
    with transaction.atomic():
        dispute = Dispute.objects.create(
            grid=grid, client_id=client_id, kind=kind, summary=summary.strip(), mediator=actor, found_at=at
        )
        DisputeParty.objects.bulk_create(
            [
                DisputeParty(
                    dispute=dispute,
                    name_cipher=crypto.encrypt(p["name"].strip()),
                    name_masked=mask_name(p["name"]),
                    phone_cipher=crypto.encrypt(crypto.normalise(p["phone"])) if p.get("phone") else "",
                    phone_masked=crypto.mask_phone(p["phone"]) if p.get("phone") else "",
                )
                for p in parties
            ]
        )
        record(actor, "disputes.record", dispute, after={"kind": kind, "parties": len(parties)})
    return dispute


def add_session(
    actor: Any, dispute: Dispute, *, note: str, held_at: datetime | None = None, is_follow_up: bool = False
) -> MediationSession:
    require(actor, "disputes.record_in_grid", dispute.grid)
    if not note.strip():
        raise ServiceError(_("Note: say what happened in the session."), field="note")
    with transaction.atomic():
        session = MediationSession.objects.create(
            dispute=dispute,
            held_at=check_recorded_time(held_at),
            note=note.strip(),
            is_follow_up=is_follow_up,
            recorded_by=actor,
        )
        record(actor, "disputes.add_session", dispute, after={"follow_up": is_follow_up})
    return session


def conclude_dispute(
    actor: Any, dispute: Dispute, *, status: str, outcome: str, agreement: UploadedFile | None = None
) -> Dispute:
    require(actor, "disputes.record_in_grid", dispute.grid)
    if status not in (DisputeStatus.SETTLED, DisputeStatus.REFERRED, DisputeStatus.FAILED):
        raise ServiceError(_("Outcome: choose settled, referred or failed."), field="status")
    if not outcome.strip():
        raise ServiceError(_("Outcome: describe the outcome."), field="outcome")
    if agreement is not None:
        head = agreement.read(8)
        agreement.seek(0)
        if not any(head.startswith(m) for m in AGREEMENT_TYPES) or (agreement.size or 0) > 10 * 1024 * 1024:
            raise ServiceError(_("Agreement: upload a PDF or a photo (JPEG/PNG) under 10 MB."), field="agreement")
    with transaction.atomic():
        before = {"status": dispute.status}
        dispute.status, dispute.outcome, dispute.settled_at = status, outcome.strip(), timezone.now()
        if agreement is not None:
            dispute.agreement.save(agreement.name or "agreement.pdf", agreement, save=False)
        dispute.save()
        record(actor, "disputes.conclude", dispute, before=before, after={"status": status})
    return dispute


def submit_screening(actor: Any, grid: Grid, month: date, *, nothing_found: bool, note: str = "") -> MonthlyScreening:
    """The monthly screening report of a grid; 零报告 (nothing found) must be said explicitly."""
    require(actor, "disputes.record_in_grid", grid)
    month = month.replace(day=1)
    found = Dispute.objects.filter(grid=grid, found_at__year=month.year, found_at__month=month.month).count()
    if nothing_found and found:
        raise ServiceError(
            _("Nothing found: %(n)d disputes were recorded this month.") % {"n": found}, field="nothing_found"
        )
    try:
        with transaction.atomic():
            screening = MonthlyScreening.objects.create(
                grid=grid,
                month=month,
                reported_by=actor,
                reported_at=timezone.now(),
                nothing_found=nothing_found,
                disputes_found=found,
                note=note.strip(),
            )
            record(
                actor,
                "disputes.screening",
                screening,
                after={"month": str(month), "nothing_found": nothing_found, "found": found},
            )
    except IntegrityError as exc:
        raise ServiceError(_("This grid has already reported for %(m)s.") % {"m": f"{month:%Y-%m}"}) from exc
    return screening
