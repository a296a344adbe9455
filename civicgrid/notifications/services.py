"""Sending notifications. Callers run inside their own transaction; everything leaves only on commit."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .models import Notification, WebhookDelivery, WebhookEndpoint


def notify(users: Iterable[Any], *, verb: str, text: str, url: str = "") -> list[Notification]:
    """Put a message in each user's inbox (deduplicated by user). E-mail goes out later, in digests."""
    seen: set[int] = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or not user.is_active:
            continue
        seen.add(user.pk)
        rows.append(Notification(user=user, verb=verb, text=text[:300], url=url))
    return Notification.objects.bulk_create(rows)


def emit_event(event: str, payload: dict[str, Any]) -> None:
    """Queue a webhook delivery to every endpoint that wants this event, sent by a task after commit."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(active=True) if e.wants(event)]
    if not endpoints:
        return
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(endpoint=e, event=event, payload=payload) for e in endpoints]
    )

    def enqueue() -> None:
        from .tasks import deliver_webhook

        for d in deliveries:
            deliver_webhook.enqueue(d.pk)

    transaction.on_commit(enqueue)


def mark_read(user: Any, ids: Iterable[int] | None = None) -> int:
    qs = Notification.objects.filter(user=user, read_at=None)
    if ids is not None:
        qs = qs.filter(id__in=list(ids))
    return qs.update(read_at=timezone.now())
