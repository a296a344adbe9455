"""Helpers for tests against pytest-django's live server (a transactional database, flushed after each test)."""

from __future__ import annotations

import importlib
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.core.servers.basehttp import WSGIServer

# The live server (Django's development server) listens with a backlog of 10 connections, gunicorn with 2048:
# fifty clients connecting at once would otherwise be reset by the kernel, which says nothing about the
# application. Set on import, before the session's live server starts.
WSGIServer.request_queue_size = 256


def ensure_world() -> None:
    """The flush after a transactional test empties every table, the categories of the data migration too:
    put back what the tests need (categories and calendar, then the tiny demo street)."""
    from django.apps import apps

    from civicgrid.areas.models import Street
    from civicgrid.cases.models import Category
    from conftest import seed_tiny_world

    if not Category.objects.exists():
        importlib.import_module("civicgrid.cases.migrations.0002_default_data").load(apps, None)
    if not Street.objects.exists():
        seed_tiny_world()


def http(
    method: str,
    url: str,
    *,
    form: dict[str, Any] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request with urllib: (status, headers, body), for error statuses too."""
    data = None
    headers = dict(headers or {})
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()
