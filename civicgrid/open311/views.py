"""Open311 GeoReport v2 endpoints (plain Django views: the spec needs XML) and the API key page."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicgrid.core.errors import ServiceError, access_object, require

from . import resources, selectors, services
from .georeport import FORMATS, SPECIFICATION, GeoReportError, render_errors
from .georeport import render as render_georeport

# When the interface last changed (discovery's `changeset`).
CHANGESET = "2026-01-20T00:00:00+08:00"

View = Callable[..., HttpResponse]


def georeport(*methods: str) -> Callable[[View], View]:
    """Wrap an endpoint: allowed methods, the `locale` argument, and every failure in the spec's error form."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, fmt: str, **kwargs: Any) -> HttpResponse:
            if request.method not in methods:
                response = render_errors(fmt, 405, [_("Method %(m)s is not allowed here.") % {"m": request.method}])
                response["Allow"] = ", ".join(methods)
                return response
            locale = request.GET.get("locale", "").strip().lower()
            language = "en" if locale.startswith("en") else "zh-hans" if locale.startswith("zh") else None
            try:
                if language:
                    with translation.override(language):
                        return view(request, *args, fmt=fmt, **kwargs)
                return view(request, *args, fmt=fmt, **kwargs)
            except GeoReportError as exc:
                return render_errors(fmt, exc.status, exc.descriptions)
            except ServiceError as exc:
                return render_errors(fmt, 400, [exc.message])

        return wrapper

    return decorate


@georeport("GET")
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri(reverse("open311:discovery", kwargs={"fmt": fmt})).rsplit("/", 1)[0]
    data = {
        "changeset": CHANGESET,
        "contact": getattr(settings, "CIVICGRID_OPEN311_CONTACT", "") or _("Ask the street's grid office."),
        "key_service": _("Street admins issue API keys at %(url)s")
        % {"url": request.build_absolute_uri("/open311/keys/")},
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": base,
                "changeset": CHANGESET,
                "type": "test" if settings.DEBUG else "production",
                "formats": [FORMATS["xml"].split(";")[0], FORMATS["json"].split(";")[0]],
            }
        ],
    }
    return render_georeport(fmt, "discovery", data)


@georeport("GET")
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
    return render_georeport(fmt, "services", [resources.service(c) for c in resources.service_categories()])


@georeport("GET")
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    category = resources.service_categories().filter(code=code).first()
    if category is None:
        raise GeoReportError(404, _("service_code %(c)s was not found.") % {"c": code[:20]})
    return render_georeport(fmt, "service_definition", resources.service_definition(category))


@csrf_exempt  # the api_key authenticates a POST; there is no session to ride on
@georeport("GET", "POST")
def service_requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _post_request(request, fmt)
    query = resources.parse_request_query(request.GET)
    rows = resources.find_requests(query)
    data = resources.Publisher().requests(rows, extensions=query.extensions)
    return render_georeport(fmt, "service_requests", data)


def _post_request(request: HttpRequest, fmt: str) -> HttpResponse:
    plain = request.POST.get("api_key", "")
    key = selectors.active_key(plain)
    if key is None:
        reason = _("api_key was not provided") if not plain.strip() else _("Invalid api_key received")
        raise GeoReportError(403, _("%(r)s -- can't proceed with create_request.") % {"r": reason})
    services.note_key_used(key)
    submitted = services.submit_request(key, request.POST, idempotency_key=request.headers.get("Idempotency-Key", ""))
    case = submitted.case
    data = [
        {
            "service_request_id": case.tracking_code,
            "service_notice": resources.service_notice(case.category, case.urgency),
            "account_id": submitted.account_id,
        }
    ]
    response = render_georeport(fmt, "service_requests", data, status=201 if submitted.created else 200)
    if not submitted.created:
        response["Idempotent-Replayed"] = "true"
    return response


@georeport("GET")
def service_request(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    extensions = request.GET.get("extensions", "").lower() in ("true", "1")
    row = resources.find_request(request_id)
    return render_georeport(fmt, "service_requests", resources.Publisher().requests([row], extensions=extensions))


@georeport("GET")
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    """Requests are created at once (type realtime), so a token is simply the request id."""
    request_id = resources.request_id_for_token(token)
    if request_id is None:
        raise GeoReportError(404, _("token %(t)s was not found.") % {"t": token[:20]})
    return render_georeport(fmt, "service_requests", [{"service_request_id": request_id, "token": token}])


# --- API keys page ------------------------------------------------------------------------------------------


@login_required
def api_keys(request: HttpRequest) -> HttpResponse:
    require(request.user, "open311.manage_api_keys")
    new_key = ""
    error = ""
    name = ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            key, new_key = services.create_api_key(request.user, name)
        except ServiceError as exc:
            error = exc.message
        else:
            name = ""
            messages.success(
                request, _("API key “%(n)s” created. Copy it now: it is shown only once.") % {"n": key.name}
            )
    page = Paginator(selectors.api_keys_for(request.user), 50).get_page(request.GET.get("page"))
    response = render(
        request,
        "open311/keys.html",
        {"page": page, "new_key": new_key, "error": error, "name": name},
        status=400 if error else 200,
    )
    if new_key:
        response["Cache-Control"] = "no-store"  # the one page that shows a key must not be kept anywhere
    return response


@login_required
@require_POST
def revoke_api_key(request: HttpRequest, pk: int) -> HttpResponse:
    key = access_object(request.user, "open311.manage_api_keys", selectors.api_keys_for(request.user), pk=pk)
    try:
        services.revoke_api_key(request.user, key)
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("API key “%(n)s” revoked.") % {"n": key.name})
    return redirect("open311:api_keys")
