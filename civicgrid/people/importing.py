"""Import pages (xlsx/CSV with downloadable templates). Filled in by the importer work."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse


def import_page(request: HttpRequest) -> HttpResponse:
    raise Http404


def template_download(request: HttpRequest, kind: str, fmt: str) -> HttpResponse:
    raise Http404
