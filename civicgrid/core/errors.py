"""Errors that services raise for users to read (in Chinese, naming the field)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied


class ServiceError(Exception):
    """A request that cannot be carried out, with a message for the user."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(PermissionDenied):
    """The actor lacks the named permission."""


def require(actor: object, perm: str, obj: object = None) -> None:
    if not actor.has_perm(perm, obj):  # type: ignore[attr-defined]
        raise NotAllowed(perm)
