"""Writing to the audit trail. Every service that changes state or reveals personal data calls `record`."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from .models import AuditEvent, AuditHead

GENESIS = "0" * 64


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def compute_hash(prev_hash: str, event: AuditEvent) -> str:
    payload = _canonical(
        [
            prev_hash,
            event.seq,
            event.at.isoformat(),
            event.actor_id,
            event.actor_label,
            event.action,
            event.target_type,
            event.target_id,
            event.target_label,
            event.before,
            event.after,
            event.reason,
        ]
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(
    actor: Any,
    action: str,
    target: models.Model | None = None,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    target_type: str = "",
    target_id: str = "",
    target_label: str = "",
) -> AuditEvent:
    """Append one event. Runs inside the caller's transaction, so the event commits with the change."""
    # No savepoint: an event that cannot be written must take the caller's change down with it anyway, and the
    # savepoint's two extra statements would be paid while the head row is locked.
    with transaction.atomic(savepoint=False):
        # The head row is the chain's lock: concurrent appends queue here, never fork the chain.
        head, _ = AuditHead.objects.select_for_update().get_or_create(id=1)
        event = AuditEvent(
            seq=head.seq + 1,
            at=timezone.now(),
            actor=actor if getattr(actor, "pk", None) else None,
            actor_label=str(actor.get_username()) if getattr(actor, "pk", None) else "system",
            action=action,
            target_type=target_type or (target._meta.label_lower if target is not None else ""),
            target_id=target_id or (str(target.pk) if target is not None else ""),
            target_label=(target_label or (str(target) if target is not None else ""))[:200],
            before=_jsonable(before),
            after=_jsonable(after),
            reason=reason,
            prev_hash=head.hash,
        )
        event.hash = compute_hash(head.hash, event)
        event.save(force_insert=True)
        head.seq, head.hash = event.seq, event.hash
        head.save(update_fields=["seq", "hash"])
    return event


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    return None if value is None else json.loads(_canonical(value))


@dataclass
class ChainProblem:
    seq: int
    problem: str


def verify_chain(batch: int = 5000) -> Iterator[ChainProblem]:
    """Walk the chain in order and yield every break: an edited row, a missing row, a forged tail."""
    expected_prev = GENESIS
    expected_seq = 1
    last_seq = 0
    qs = AuditEvent.objects.order_by("seq")
    for event in qs.iterator(chunk_size=batch):
        if event.seq != expected_seq:
            yield ChainProblem(expected_seq, f"rows {expected_seq}..{event.seq - 1} are missing")
        if event.prev_hash != expected_prev:
            yield ChainProblem(event.seq, "previous-hash link is broken (a row before it was changed or removed)")
        if compute_hash(event.prev_hash, event) != event.hash:
            yield ChainProblem(event.seq, "content does not match its hash (the row was edited)")
        expected_prev = event.hash
        expected_seq = event.seq + 1
        last_seq = event.seq
    head = AuditHead.objects.filter(id=1).first()
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        yield ChainProblem(
            head.seq, f"chain head says #{head.seq} but the last row is #{last_seq} (rows removed at the end)"
        )
