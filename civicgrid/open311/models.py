"""Open311 and integrations: the API keys that apps and other systems use to send cases in."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Street


def hash_key(plain: str) -> str:
    """SHA-256 of a key as given. Keys are 256-bit random strings, so a fast hash is enough (no salt, no KDF)."""
    return hashlib.sha256(plain.strip().encode()).hexdigest()


class ApiKey(models.Model):
    """接口密钥: a street's key for one integration (an app, a hotline system, an Open311 client).

    Only the SHA-256 of the key is stored; the key itself is shown once, when it is created. The prefix (its
    first characters) is kept in clear so that people can tell keys apart.
    """

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(_("key starts with"), max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API key")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def idempotency_scope(self) -> str:
        """Idempotency keys are the client's own: each API key has its own namespace of them."""
        return f"key:{self.pk}"


class RequestMedia(models.Model):
    """Open311 媒体链接: the `media_url` an Open311 client sent with a request, kept beside the case."""

    case = models.OneToOneField("cases.Case", on_delete=models.CASCADE, related_name="open311_media")
    media_url = models.URLField(max_length=500)

    class Meta:
        verbose_name = _("Open311 media link")

    def __str__(self) -> str:
        return self.media_url
