"""Authentication of the JSON API by an integration's API key (header `X-API-Key`) or by a logged-in session."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security import APIKeyHeader, django_auth

from .selectors import active_key
from .services import note_key_used


class ApiKeyAuth(APIKeyHeader):
    """`X-API-Key: cg_…`. A key that is sent but unknown or revoked is refused (401) rather than passed on to
    session authentication, so an integration with a dead key gets a clear answer, not a CSRF failure."""

    param_name = "X-API-Key"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        if not key:
            return None
        api_key = active_key(key)
        if api_key is None:
            raise HttpError(401, _("Invalid or revoked API key."))
        note_key_used(api_key)
        return api_key


# Either an API key or a session (with its CSRF check): ninja tries them in order; `request.auth` is the ApiKey
# or the User. Listed as two classes so that the OpenAPI document shows both schemes.
key_or_session: list[Any] = [ApiKeyAuth(), django_auth]
