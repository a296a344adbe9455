"""Staff pages over cases: the grid worker's inbox, the dispatcher board, the responder queue, the case page.

Every page loads cases through `selectors.cases_for(user)`, so a case outside the user's scope is a 404, and
every change goes through one service function; the one-tap buttons of the lists post with htmx and get
their row back, updated in place.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import ServiceError, require
from civicgrid.responders.models import Responder
from civicgrid.responders.selectors import responders_serving

from . import selectors, services
from .choices import ExtensionStatus, Satisfaction, Status
from .forms import StaffCaseForm
from .models import Case, CaseAttachment, Category, ExtensionRequest, WhistleSummons
from .public_views import grid_features, location_choices
from .workflow import Step, steps_from

PAGE_SIZE = 50
COLUMN_LIMIT = 30
# Steps a list offers as one tap (no note needed); the others open a small form or the case page.
ONE_TAP = ("accept", "dispatch", "acknowledge", "start", "verify", "close")
# Steps the queue offers as a small form in the row.
ROW_FORMS = ("return", "resolve")
# Steps with their own panel on the case page, not in the list of actions.
OWN_PANEL = ("request_extension", "whistle", "merge")
BOARD_STATUSES = (
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.VERIFIED,
    Status.PARKED,
)
EXTENSION_HOURS = (4, 8, 24, 72, 168)


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _is_htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def available_steps(user: Any, case: Case) -> list[Step]:
    """The steps this user may take on this case now (the buttons of the pages)."""
    return [s for s in steps_from(case.status) if user.has_perm(f"cases.{s.name}", case)]


def _decorate(user: Any, cases: list[Case]) -> list[Case]:
    """Give each listed case its buttons: no queries (the permission predicates read loaded fields only)."""
    for case in cases:
        steps = available_steps(user, case)
        case.taps = [s for s in steps if s.name in ONE_TAP]  # type: ignore[attr-defined]
        case.row_forms = [s for s in steps if s.name in ROW_FORMS]  # type: ignore[attr-defined]
        case.can_extend = any(s.name == "request_extension" for s in steps)  # type: ignore[attr-defined]
    return cases


def _case_for(request: HttpRequest, pk: int) -> Case:
    """The case, if the user may see it; a 404 otherwise (its existence is not disclosed)."""
    return get_object_or_404(selectors.cases_for(request.user), pk=pk)


def _next_url(request: HttpRequest, fallback: str) -> str:
    nxt = request.POST.get("next") or request.GET.get("next") or ""
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=False):
        return nxt
    return fallback


# --- lists ---------------------------------------------------------------------------------------------------


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    """The grid worker's inbox: open cases of their grid (and any they own), overdue first, one tap per step."""
    user = request.user
    if not user.has_perm("cases.view_inbox") and user.has_perm("cases.view_queue"):
        return redirect("cases:queue")
    require(user, "cases.view_inbox")
    qs = selectors.worker_inbox(user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/inbox.html",
        {
            "page": page,
            "rows": _decorate(user, list(page)),
            "overdue_count": qs.filter(overdue=True).count(),
            "now": timezone.now(),
            "list_name": "inbox",
        },
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """The dispatcher board: every open or parked case of the area in columns by status, with filters."""
    user = request.user
    require(user, "cases.view_board")
    qs = selectors.dispatcher_board(user)
    grids = list(grids_for(user).order_by("community__code", "code"))
    grid_id = _int(request.GET.get("grid"))
    if grid_id and any(g.pk == grid_id for g in grids):
        qs = qs.filter(grid_id=grid_id)
    else:
        grid_id = None
    category = request.GET.get("category", "")
    if category:
        qs = qs.filter(Q(category__code=category) | Q(category__parent__code=category))
    overdue_only = request.GET.get("overdue") == "1"
    if overdue_only:
        qs = qs.filter(overdue=True)
    counts = dict(qs.order_by().values_list("status").annotate(n=Count("id")))
    columns = []
    for status in BOARD_STATUSES:
        cards = _decorate(user, list(qs.filter(status=status)[:COLUMN_LIMIT])) if counts.get(status) else []
        columns.append(
            {"status": status, "label": Status(status).label, "count": counts.get(status, 0), "cards": cards}
        )
    return render(
        request,
        "cases/board.html",
        {
            "columns": columns,
            "total": sum(counts.values()),
            "grids": grids,
            "grid_id": grid_id,
            "categories": Category.objects.filter(active=True).order_by("code"),
            "category": category,
            "overdue_only": overdue_only,
            "now": timezone.now(),
            "list_name": "board",
            "column_limit": COLUMN_LIMIT,
        },
    )


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """The responder unit's queue: cases dispatched to it, to acknowledge, return, start and resolve."""
    user = request.user
    require(user, "cases.view_queue")
    qs = selectors.responder_queue(user)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/queue.html",
        {
            "page": page,
            "rows": _decorate(user, list(page)),
            "now": timezone.now(),
            "list_name": "queue",
            "extension_hours": EXTENSION_HOURS,
        },
    )


# --- one case ------------------------------------------------------------------------------------------------


def _map_features(case: Case) -> dict[str, Any]:
    """The case's grid (highlighted) and its point, for the small map of the case page."""
    features: list[dict[str, Any]] = []
    if case.grid is not None and case.grid.boundary:
        features.append(
            {
                "type": "Feature",
                "geometry": case.grid.boundary,
                "properties": {"name": f"{case.community or ''} {case.grid.name}", "highlight": True},
            }
        )
    lat, lng = case.lat, case.lng
    if (lat is None or lng is None) and case.building is not None:
        lat, lng = case.building.lat, case.building.lng
    if lat is not None and lng is not None:
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lng, lat]},
                "properties": {"name": case.address_text or case.tracking_code},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _street_units(user: Any, case: Case) -> list[Responder]:
    street_id = case.community.street_id if case.community is not None else getattr(user, "street_id", None)
    qs = Responder.objects.filter(active=True)
    if street_id:
        qs = qs.filter(street_id=street_id)
    return list(qs.order_by("kind", "name"))


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything about one case, and the actions this user may take on it."""
    user = request.user
    case = get_object_or_404(
        selectors.cases_for(user).select_related("building", "merged_into", "reporter", "recorded_by"), pk=pk
    )
    now = timezone.now()
    steps = available_steps(user, case)
    names = {s.name for s in steps}
    may_see_personal = user.has_perm("cases.view_case", case)

    dispatch_units: list[Responder] = []
    default_unit = None
    if "dispatch" in names:
        dispatch_units = (
            list(responders_serving(case.grid).order_by("kind", "name"))
            if case.grid is not None
            else _street_units(user, case)
        )
        default_unit = services.default_responder(case)

    duplicates: list[tuple[Case, float, float | None]] = []
    if "merge" in names:
        found = selectors.possible_duplicates(
            category_id=case.category_id,
            description=case.description,
            lat=case.lat,
            lng=case.lng,
            grid_id=case.grid_id,
            exclude_id=case.pk,
        )
        visible = set(
            selectors.cases_for(user).filter(pk__in=[c.pk for c, _s, _d in found]).values_list("pk", flat=True)
        )
        duplicates = [t for t in found if t[0].pk in visible]

    extensions = list(case.extensions.select_related("requested_by", "decided_by").order_by("-created_at"))
    whistles = list(
        case.whistles.select_related("blown_by")
        .prefetch_related(
            Prefetch("summons", queryset=WhistleSummons.objects.select_related("responder").order_by("responder__name"))
        )
        .order_by("-blown_at")
    )
    for w in whistles:
        w.deadline = w.blown_at + timedelta(minutes=w.limit_minutes)  # type: ignore[attr-defined]
        for s in w.summons.all():
            s.late = (s.reported_at or now) > w.deadline  # type: ignore[attr-defined]
            s.can_report = s.reported_at is None and user.responder_id == s.responder_id  # type: ignore[attr-defined,union-attr]

    return render(
        request,
        "cases/detail.html",
        {
            "case": case,
            "now": now,
            "events": selectors.case_timeline(case),
            "steps": [s for s in steps if s.name not in OWN_PANEL],
            "can_merge": "merge" in names,
            "duplicates": duplicates,
            "may_see_personal": may_see_personal,
            "dispatch_units": dispatch_units,
            "default_unit": default_unit,
            "satisfaction_choices": Satisfaction.choices,
            "extensions": extensions,
            "pending_extension": next((e for e in extensions if e.status == ExtensionStatus.PENDING), None),
            "can_request_extension": "request_extension" in names,
            "can_decide_extension": user.has_perm("cases.approve_extension", case),
            "extension_hours": EXTENSION_HOURS,
            "whistles": whistles,
            "can_whistle": "whistle" in names,
            "whistle_units": _street_units(user, case) if "whistle" in names else [],
            "geojson": _map_features(case),
        },
    )


def _merge_target(user: Any, ref: str) -> Case:
    ref = ref.strip()
    visible = selectors.cases_for(user)
    target = visible.filter(pk=int(ref)).first() if ref.isdigit() else None
    target = target or visible.filter(tracking_code=ref.upper()).first()
    if target is None:
        raise ServiceError(_("Merge: no case you can see has this code."), field="target")
    return target


def _row_response(request: HttpRequest, pk: int, list_name: str, error: str = "") -> HttpResponse:
    case = selectors.cases_for(request.user).filter(pk=pk).first()
    template = "cases/_card.html" if list_name == "board" else "cases/_row.html"
    return render(
        request,
        template,
        {
            "case": _decorate(request.user, [case])[0] if case is not None else None,
            "gone_pk": pk,
            "error": error,
            "now": timezone.now(),
            "list_name": list_name,
            "extension_hours": EXTENSION_HOURS,
        },
    )


@login_required
@require_POST
def step(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """Take one step of the loop. From a list (htmx) the row comes back updated; otherwise back to the page."""
    user = request.user
    case = _case_for(request, pk)
    list_name = request.POST.get("list", "")
    error = ""
    try:
        responder = None
        if name == "dispatch" and request.POST.get("responder"):
            responder = Responder.objects.filter(pk=_int(request.POST["responder"]) or 0, active=True).first()
            if responder is None:
                raise ServiceError(_("Responder: unknown responder unit."), field="responder")
        target = _merge_target(user, request.POST.get("target", "")) if name == "merge" else None
        case = services.take_step(
            user,
            case,
            name,
            request.POST.get("note", ""),
            photos=request.FILES.getlist("photos"),
            responder=responder,
            satisfaction=request.POST.get("satisfaction", ""),
            target=target,
        )
    except ServiceError as exc:
        error = exc.message
    except PermissionDenied:
        if not (_is_htmx(request) and list_name):
            raise
        error = _("You may not take this step on this case.")
    if _is_htmx(request) and list_name in ("inbox", "queue", "board"):
        return _row_response(request, pk, list_name, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _("Case %(c)s: %(s)s.") % {"c": case.tracking_code, "s": case.get_status_display()})
    return redirect(_next_url(request, reverse("cases:detail", args=[pk])))


@login_required
@require_POST
def extension_request(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    hours = _int(request.POST.get("extra_hours")) or 0
    try:
        services.request_extension(request.user, case, hours * 60, request.POST.get("reason", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Extension requested: the community will decide."))
    return redirect(_next_url(request, reverse("cases:detail", args=[pk])))


@login_required
@require_POST
def extension_decide(request: HttpRequest, pk: int, ext_pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    req = get_object_or_404(ExtensionRequest, pk=ext_pk, case=case)
    approve = request.POST.get("decision") == "approve"
    try:
        services.decide_extension(request.user, req, approve, request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Extension approved.") if approve else _("Extension refused."))
    return redirect("cases:detail", pk=pk)


@login_required
@require_POST
def whistle(request: HttpRequest, pk: int) -> HttpResponse:
    """吹哨报到: a street admin summons several units to the case."""
    case = _case_for(request, pk)
    ids = [i for i in (_int(v) for v in request.POST.getlist("responders")) if i]
    units = [u for u in _street_units(request.user, case) if u.pk in ids]
    try:
        services.blow_whistle(
            request.user, case, units, request.POST.get("note", ""), _int(request.POST.get("limit_minutes")) or 30
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Whistle blown: %(n)d units summoned.") % {"n": len(units)})
    return redirect("cases:detail", pk=pk)


@login_required
@require_POST
def whistle_report(request: HttpRequest, pk: int, summons_pk: int) -> HttpResponse:
    """A summoned unit reports (报到)."""
    case = _case_for(request, pk)
    summons = get_object_or_404(WhistleSummons, pk=summons_pk, whistle__case=case)
    try:
        services.report_to_whistle(request.user, summons, request.POST.get("note", ""))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Reported: the street can see your unit is on it."))
    return redirect("cases:detail", pk=pk)


@login_required
def photo(request: HttpRequest, pk: int, photo_pk: int) -> FileResponse:
    """A case photo, to those who may see the case (photos are never public files)."""
    case = _case_for(request, pk)
    attachment = get_object_or_404(CaseAttachment, pk=photo_pk, case=case)
    ctype = attachment.content_type if attachment.content_type.startswith("image/") else "application/octet-stream"
    response = FileResponse(attachment.file.open("rb"), content_type=ctype)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- recording a case ------------------------------------------------------------------------------------------


@login_required
def new_case(request: HttpRequest) -> HttpResponse:
    """Staff record a case for a resident (walk-in, phone, patrol), or one already solved on the spot."""
    user = request.user
    require(user, "cases.record_case")
    if request.method == "POST":
        form = StaffCaseForm(request.POST, request.FILES)
    else:  # a grid worker records cases of their own grid, most of the time
        form = StaffCaseForm(initial={"grid": getattr(user, "grid_id", None)})
    if request.method == "POST" and form.is_valid():
        on_the_spot = request.POST.get("action") == "on_the_spot"
        try:
            if on_the_spot:
                case = services.solve_on_the_spot(
                    user,
                    form.intake(),
                    form.cleaned_data["note"],
                    form.cleaned_data["photos"],
                    idempotency_key=form.idempotency_key,
                )
            else:
                case, _created = services.submit_case(
                    user, form.intake(), photos=form.cleaned_data["photos"], idempotency_key=form.idempotency_key
                )
        except ServiceError as exc:
            form.add_service_error(exc.field, exc.message)
        else:
            if on_the_spot:
                messages.success(request, _("Case %(c)s recorded as solved on the spot.") % {"c": case.tracking_code})
            else:
                messages.success(request, _("Case %(c)s recorded.") % {"c": case.tracking_code})
            if selectors.cases_for(user).filter(pk=case.pk).exists():
                return redirect("cases:detail", pk=case.pk)
            return redirect("cases:inbox")  # recorded for another area: it went to that grid's worker
    grids = grids_for(user)
    return render(
        request,
        "cases/new.html",
        {
            "form": form,
            "geojson": grid_features(grids),
            **location_choices(None, _int(form["grid"].value()), grids, building_id=_int(form["building"].value())),
        },
        status=400 if form.errors else 200,
    )
