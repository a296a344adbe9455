"""Offline sync receipts: each entry a phone sends carries a client id; the receipt makes retries harmless."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class SyncReceipt(models.Model):
    """同步回执: the record created for one client id (kind + id), so a resent entry returns it again."""

    client_id = models.UUIDField(unique=True)
    kind = models.CharField(max_length=20)
    object_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"
