"""The offline-first phone pages (/field/…), the batch sync endpoint and the service worker that caches them.

The pages render everything their forms need into the page itself (buildings, masked households, checklist),
because the service worker serves them from its cache when there is no network. The forms never post: the page's
script (static/js/field.js) queues each entry in IndexedDB and sends the queue to `sync` when it can.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from civicgrid.accounts.choices import Role
from civicgrid.areas.models import Grid
from civicgrid.cases.models import Category
from civicgrid.core.errors import ServiceError
from civicgrid.disputes.models import DisputeKind
from civicgrid.visits.models import FollowUp, Purpose

from . import selectors, services

# The pages the service worker keeps for offline use (URL names in this app).
OFFLINE_PAGES = ("home", "patrol", "visit", "dispute", "screening")
# Our own files the service worker caches when it installs (the page tells it about the rest it uses).
OFFLINE_STATIC = ("css/app.css", "css/field.css", "js/field.js")
SW_SOURCE = "js/field-sw.js"


def _strings() -> dict[str, str]:
    """What field.js says, translated on the server: the script carries no message catalogue."""
    return {
        "waiting": _("{n} waiting to send"),
        "all_sent": _("Nothing waiting to send"),
        "need_fix": _("{n} need correction"),
        "other_user": _("{n} entries of another account wait until it logs in on this phone"),
        "online": _("Online"),
        "offline": _("Offline: entries are kept on this phone"),
        "sending": _("Sending…"),
        "saved": _("Saved on this phone. It will be sent when there is a network."),
        "login": _("Log in again to send what is waiting."),
        "retry": _("Could not send now; trying again soon."),
        "no_answer": _("The server did not answer for this entry; try again."),
        "ready": _("Ready for offline use"),
        "discard": _("Discard"),
        "edit": _("Correct"),
        "retry_one": _("Send again"),
        "confirm_discard": _("Discard this entry? It will not be sent."),
        "locating": _("Finding your location…"),
        "located": _("Location recorded (±{m} m)"),
        "no_location": _("Location not available: choose a building instead."),
        "choose_household": _("Choose a household: a due one or one from the search."),
        "no_match": _("No household matches."),
        "solved_needs_note": _("Note: say what was done on the spot."),
        "case_needs_found": _("What was found: describe the problem the case is about."),
        "need_party": _("Parties: every party needs a name."),
        "bad_phone": _("Phone: a mobile (11 digits starting with 1) or a landline number."),
        "nothing_found_conflict": _("零报告 is not possible: disputes were recorded in this grid this month."),
        "choose_nothing_found": _("Tick 零报告 or record the disputes found first."),
        "patrol_since": _("Patrol in progress since {t}"),
        "no_patrol": _("Start a patrol first."),
        "editing": _("Correcting an entry that was refused. Saving sends it again."),
        "findings_count": _("{n} findings on this patrol"),
        "solved": _("solved on the spot"),
        "with_photo": _("with photo"),
        "k_patrol_start": _("Patrol started"),
        "k_patrol_finish": _("Patrol finished"),
        "k_finding": _("Finding"),
        "k_trace": _("Route"),
        "k_visit": _("Visit"),
        "k_dispute": _("Dispute"),
        "k_screening": _("Monthly screening"),
    }


def _field_grid(request: HttpRequest) -> Grid:
    grid = selectors.field_grid(request.user)
    if grid is None:
        raise PermissionDenied(_("The field pages are for stewards and grid workers."))
    return grid


def _page(request: HttpRequest, template: str, page: str, grid: Grid, **extra: Any) -> HttpResponse:
    user = request.user
    config = {
        "user": user.pk,
        "grid": grid.pk,
        "page": page,
        "sync": reverse("field:sync"),
        "sw": reverse("field:sw"),
        "scope": reverse("field:home"),
        "login": f"{reverse('accounts:login')}?next={request.path}",
        "pages": {name: reverse(f"field:{name}") for name in OFFLINE_PAGES},
        "i18n": _strings(),
        **extra.pop("config", {}),
    }
    response = render(
        request,
        template,
        {"grid": grid, "page": page, "field_config": config, "retention_days": settings.CIVICGRID_TRACE_RETENTION_DAYS}
        | extra,
    )
    # The page is personal and holds a CSRF token: the service worker may keep it, shared caches may not.
    response["Cache-Control"] = "private, no-cache"
    return response


@login_required
def home(request: HttpRequest) -> HttpResponse:
    role = getattr(request.user, "role", "")
    if selectors.field_grid(request.user) is None and role in (Role.STREET_ADMIN, Role.COMMUNITY_STAFF):
        return redirect("field:overview")
    grid = _field_grid(request)
    return _page(request, "fieldwork/home.html", "home", grid, home=selectors.field_home(request.user, grid))


@login_required
def patrol(request: HttpRequest) -> HttpResponse:
    grid = _field_grid(request)
    return _page(
        request,
        "fieldwork/patrol.html",
        "patrol",
        grid,
        checklist=selectors.checklist_of(grid),
        buildings=selectors.buildings_of(grid),
    )


@login_required
def visit(request: HttpRequest) -> HttpResponse:
    grid = _field_grid(request)
    categories = Category.objects.filter(
        code__in={i["category"] for i in selectors.checklist_of(grid)}, active=True
    ).order_by("code")
    return _page(
        request,
        "fieldwork/visit.html",
        "visit",
        grid,
        due=selectors.due_visits(request.user, within_days=7),
        households=selectors.households_of(grid),
        purposes=Purpose.choices,
        follow_ups=FollowUp.choices,
        categories=categories,
    )


@login_required
def dispute(request: HttpRequest) -> HttpResponse:
    grid = _field_grid(request)
    return _page(request, "fieldwork/dispute.html", "dispute", grid, kinds=DisputeKind.choices)


@login_required
def screening(request: HttpRequest) -> HttpResponse:
    grid = _field_grid(request)
    ctx = selectors.screening_context(grid)
    return _page(
        request,
        "fieldwork/screening.html",
        "screening",
        grid,
        screening=ctx,
        config={"disputes_this_month": ctx["disputes_this_month"], "month": f"{ctx['month']:%Y-%m}"},
    )


@never_cache
@require_POST
def sync(request: HttpRequest) -> JsonResponse:
    """POST multipart: `entries` (JSON list), `user` (the account the phone queued them for), photo files.

    Answers 401 (not 400 or a redirect) when the session has expired, so the page keeps its queue and asks the
    user to log in again; then one result per entry (created, duplicate or error) from `accept_batch`."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": _("Log in again to send what is waiting.")}, status=401)
    if request.POST.get("user") and request.POST["user"] != str(request.user.pk):
        # A phone shared by two people: entries queued by one account are never recorded under another.
        return JsonResponse({"error": _("These entries belong to another account.")}, status=409)
    try:
        entries = json.loads(request.POST.get("entries", ""))
    except ValueError:
        return JsonResponse({"error": _("Batch: entries is not JSON.")}, status=400)
    try:
        results = services.accept_batch(request.user, entries, request.FILES)
    except ServiceError as exc:
        return JsonResponse({"error": exc.message}, status=400)
    return JsonResponse({"results": results, "at": timezone.now().isoformat()})


def _read_static(path: str) -> bytes:
    found = finders.find(path)
    if not found:
        raise FileNotFoundError(path)
    return Path(found if isinstance(found, str) else found[0]).read_bytes()


def _sw_config() -> dict[str, Any]:
    return {
        "pages": [reverse(f"field:{name}") for name in OFFLINE_PAGES],
        "precache": [static(p) for p in OFFLINE_STATIC],
        "static": settings.STATIC_URL,
    }


def _build_sw() -> bytes:
    """The worker with its configuration in front; its version is a hash of everything it caches, so a deploy that
    changes our code or styles changes the worker's bytes and phones pick up the new pages."""
    config = _sw_config()
    digest = hashlib.sha256(json.dumps(config).encode())
    for p in (SW_SOURCE, *OFFLINE_STATIC):
        digest.update(_read_static(p))
    config["version"] = digest.hexdigest()[:12]
    head = f"self.FIELD = {json.dumps(config)};\n".encode()
    return head + _read_static(SW_SOURCE)


_cached_sw = lru_cache(maxsize=1)(_build_sw)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    body = _build_sw() if settings.DEBUG else _cached_sw()
    response = HttpResponse(body, content_type="application/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = reverse("field:home")
    response["Cache-Control"] = "no-cache"
    return response


@login_required
def overview(request: HttpRequest) -> HttpResponse:
    """Staff: every grid of the area with this month's field work, and links to its records."""
    from civicgrid.core.errors import require

    require(request.user, "patrols.view_patrols")
    return render(
        request,
        "fieldwork/overview.html",
        {"grids": selectors.field_overview(request.user), "month": timezone.localdate().replace(day=1)},
    )
