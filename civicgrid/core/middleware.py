"""A session lives at most 12 hours, however active (idle expiry is SESSION_COOKIE_AGE, 30 minutes)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

KEY = "civicgrid_login_at"


class AbsoluteSessionTimeout:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            started = request.session.get(KEY)
            now = time.time()
            if started is None:
                request.session[KEY] = now
            elif now - float(started) > settings.CIVICGRID_SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)
