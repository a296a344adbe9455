"""Errors that services raise for users to read (in Chinese, naming the field)."""

from __future__ import annotations

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=Model)


def field_message(label: str, message: str) -> str:
    """“Field: what is wrong”, one translatable pattern so that word order works in every language."""
    from django.utils.translation import gettext as _

    return _("%(field)s: %(error)s") % {"field": label, "error": message}


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


def access_object(actor: object, perm: str, queryset: QuerySet[M], **lookup: Any) -> M:
    """Load one object for `actor` under `perm`, answering every page and endpoint the same way.

    403 when the actor's role never holds `perm` (asked without an object, so nothing about the object leaks);
    404 when the object is outside the actor's selector (its existence is not disclosed);
    403 when the object is visible but `perm` is refused for it.
    """
    require(actor, perm)
    obj = get_object_or_404(queryset, **lookup)
    require(actor, perm, obj)
    return obj
