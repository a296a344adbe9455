"""Notifications: an in-app inbox for every user, e-mail digests, and signed outbound webhooks."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """站内通知: one message in a user's inbox; e-mailed later in a digest, never one mail per event."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    verb = models.CharField(max_length=40)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "read_at"]), models.Index(fields=["emailed_at", "created_at"])]
        verbose_name = _("notification")

    def __str__(self) -> str:
        return self.text


class WebhookEndpoint(models.Model):
    """外部系统回调: an integration that receives signed JSON events (HMAC-SHA256 of the body)."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"))
    secret = models.CharField(max_length=64)
    events = models.CharField(_("events (comma-separated prefixes, empty = all)"), max_length=300, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")

    def __str__(self) -> str:
        return self.name

    def wants(self, event: str) -> bool:
        prefixes = [p.strip() for p in self.events.split(",") if p.strip()]
        return not prefixes or any(event.startswith(p) for p in prefixes)


class WebhookDelivery(models.Model):
    """One event sent (or to be sent again) to one endpoint; retried with back-off until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Gave up")

    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=60)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"
