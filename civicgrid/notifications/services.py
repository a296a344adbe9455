"""Sending notifications. Callers run inside their own transaction; everything leaves only on commit."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.audit.services import record
from civicgrid.core.errors import ServiceError, require

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


# --- webhook endpoints (street admins) ----------------------------------------------------------------------


def check_webhook_url(url: str) -> str:
    """An absolute http(s) URL with a host: anything else (file:, ftp:, a bare path) is refused."""
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ServiceError(_("URL: give a full address starting with http:// or https://."), field="url")
    if len(url) > 200:
        raise ServiceError(_("URL: at most 200 characters."), field="url")
    return url


def create_webhook_endpoint(actor: Any, name: str, url: str, events: str = "") -> tuple[WebhookEndpoint, str]:
    """Register an endpoint. Returns (endpoint, secret): the secret is shown to the admin once, on this page."""
    require(actor, "notifications.manage_webhooks")
    name = name.strip()
    if not name:
        raise ServiceError(_("Name: say which system will receive the events."), field="name")
    if len(name) > 100:
        raise ServiceError(_("Name: at most 100 characters."), field="name")
    url = check_webhook_url(url)
    prefixes = ",".join(p.strip() for p in events.split(",") if p.strip())
    if len(prefixes) > 300:
        raise ServiceError(_("Events: at most 300 characters."), field="events")
    secret = secrets.token_hex(32)
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(name=name, url=url, events=prefixes, secret=secret)
        # The secret is not audited: the trail is readable by more people than the integration's owner.
        record(actor, "notifications.create_webhook", endpoint, after={"name": name, "url": url, "events": prefixes})
    return endpoint, secret


def set_webhook_active(actor: Any, endpoint: WebhookEndpoint, active: bool) -> WebhookEndpoint:
    """Pause or resume an endpoint; a paused endpoint is sent no new events. Setting the same state changes nothing."""
    require(actor, "notifications.manage_webhooks")
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        if endpoint.active == active:
            return endpoint
        endpoint.active = active
        endpoint.save(update_fields=["active"])
        record(
            actor,
            "notifications.activate_webhook" if active else "notifications.deactivate_webhook",
            endpoint,
            before={"active": not active},
            after={"active": active},
        )
    return endpoint
