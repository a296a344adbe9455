"""Reads over API keys, scoped to the street of the admin who asks."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from civicgrid.core.scoping import NOTHING

from .models import ApiKey, hash_key


def api_keys_for(user: Any) -> QuerySet[ApiKey]:
    qs = ApiKey.objects.select_related("street", "created_by", "revoked_by")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.street_id:
        return qs.filter(street_id=user.street_id)
    return qs.filter(NOTHING)


def active_key(plain: str | None) -> ApiKey | None:
    """The live key matching `plain` (None for a missing, unknown or revoked key)."""
    if not plain or len(plain) > 200:
        return None
    # The hash is unique: no ordering, no LIMIT-1-of-a-sort (this runs on every integration request).
    return next(iter(ApiKey.objects.filter(key_hash=hash_key(plain), revoked_at__isnull=True).order_by()[:1]), None)
