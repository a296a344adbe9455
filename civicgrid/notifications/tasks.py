"""Background jobs: webhook delivery with signatures and retries; e-mail digests."""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.request
from datetime import timedelta
from itertools import groupby

from django.conf import settings
from django.core.mail import send_mail
from django.utils import timezone
from django_tasks import task

from .models import Notification, WebhookDelivery

MAX_ATTEMPTS = 6
BACKOFF_SECONDS = [10, 60, 300, 1800, 7200]


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@task()
def deliver_webhook(delivery_id: int) -> str:
    """POST the event; on failure schedule another try later (10 s, 1 min, 5 min, 30 min, 2 h), then give up."""
    d = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if d is None or d.status != WebhookDelivery.Status.PENDING:
        return "skipped"
    body = json.dumps({"event": d.event, "id": d.pk, "data": d.payload}, ensure_ascii=False).encode()
    request = urllib.request.Request(
        d.endpoint.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-CivicGrid-Event": d.event,
            "X-CivicGrid-Delivery": str(d.pk),
            "X-CivicGrid-Signature": signature(d.endpoint.secret, body),
        },
    )
    d.attempts += 1
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # URL set by street admins
            ok = 200 <= response.status < 300
            error = "" if ok else f"HTTP {response.status}"
    except Exception as exc:  # network errors, timeouts, HTTP errors: all mean "try again later"
        ok, error = False, str(exc)[:300]
    if ok:
        d.status, d.delivered_at, d.last_error = WebhookDelivery.Status.DELIVERED, timezone.now(), ""
        d.save(update_fields=["status", "delivered_at", "last_error", "attempts"])
        return "delivered"
    d.last_error = error
    if d.attempts >= MAX_ATTEMPTS:
        d.status = WebhookDelivery.Status.FAILED
        d.save(update_fields=["status", "last_error", "attempts"])
        return "failed"
    d.save(update_fields=["last_error", "attempts"])
    delay = BACKOFF_SECONDS[min(d.attempts - 1, len(BACKOFF_SECONDS) - 1)]
    deliver_webhook.using(run_after=timezone.now() + timedelta(seconds=delay)).enqueue(d.pk)
    return "retry"


@task()
def send_digests() -> int:
    """One e-mail per user with everything new since the last digest (users without an e-mail are skipped)."""
    pending = (
        Notification.objects.filter(emailed_at=None, read_at=None)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user_id", "created_at")
    )
    sent = 0
    now = timezone.now()
    for _user_id, group in groupby(pending, key=lambda n: n.user_id):
        items = list(group)
        user = items[0].user
        lines = [f"- {n.created_at.astimezone():%m-%d %H:%M} {n.text}" for n in items]
        send_mail(
            subject=f"网格通 CivicGrid: {len(items)} 条新消息",
            message="\n".join(lines),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        Notification.objects.filter(id__in=[n.id for n in items]).update(emailed_at=now)
        sent += 1
    return sent
