"""Public pages (no login): report a problem, follow it by its tracking code, rate the result.

Nothing here shows anyone's personal data: the tracking page names the people who worked on a case by their
role only, and never shows the reporter's name or phone.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from civicgrid.areas.models import Community, Grid
from civicgrid.core.errors import ServiceError
from civicgrid.people.models import Building

from . import selectors, services
from .choices import Satisfaction, Status
from .forms import ReportForm
from .models import Case, Category

SUGGESTIONS = 3
MIN_SCORE = 0.05


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _actor(request: HttpRequest) -> Any:
    return request.user if request.user.is_authenticated else None


def grid_features(grids: Any = None) -> dict[str, Any]:
    """Grid polygons as GeoJSON for the report map: names only, no links to staff pages."""
    qs = grids if grids is not None else Grid.objects.all()
    rows = (
        qs.exclude(boundary=None)
        .order_by("community__code", "code")
        .values("id", "name", "community__name", "boundary")
    )
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": g["boundary"],
                "properties": {"id": g["id"], "name": f"{g['community__name']} {g['name']}"},
            }
            for g in rows
        ],
    }


def location_choices(
    community_id: int | None, grid_id: int | None, grids: Any = None, building_id: int | None = None
) -> dict[str, Any]:
    """What the community → grid → building selects show: grids of the community (all grids, grouped, when
    none is chosen, so the page works without JavaScript), and buildings of the grid or else of the community."""
    grids = grids if grids is not None else Grid.objects.all()
    grid_qs = grids.select_related("community").order_by("community__code", "code")
    if community_id:
        grid_qs = grid_qs.filter(community_id=community_id)
    buildings = Building.objects.none()
    if grid_id:
        buildings = Building.objects.filter(grid_id=grid_id)
    elif community_id:
        buildings = Building.objects.filter(grid__community_id=community_id)
    return {
        "grid_choices": list(grid_qs),
        "building_choices": list(buildings.select_related("grid").order_by("grid__code", "code")[:1000]),
        "selected_community": community_id,
        "selected_grid": grid_id,
        "selected_building": building_id,
    }


def report(request: HttpRequest) -> HttpResponse:
    """The resident's report page (phone first). A retried or doubled submission returns the first case."""
    form = ReportForm(request.POST, request.FILES) if request.method == "POST" else ReportForm()
    if request.method == "POST" and form.is_valid():
        try:
            case, created = services.submit_case(
                _actor(request), form.intake(), photos=form.cleaned_data["photos"], idempotency_key=form.idempotency_key
            )
        except ServiceError as exc:
            form.add_service_error(exc.field, exc.message)
        else:
            if created:
                messages.success(request, _("Thank you: your report is in. Keep the tracking code to follow it."))
            return redirect("public:track", code=case.tracking_code)
    community_id = _int(form["community"].value())
    grid_id = _int(form["grid"].value())
    return render(
        request,
        "cases/report.html",
        {
            "form": form,
            "communities": Community.objects.order_by("code"),
            "geojson": grid_features(),
            **location_choices(community_id, grid_id, building_id=_int(form["building"].value())),
        },
        status=400 if form.errors else 200,
    )


@require_GET
def grid_options(request: HttpRequest) -> HttpResponse:
    """htmx: the grid select for a community, and (out of band) the building select reset to that community."""
    community_id = _int(request.GET.get("community"))
    return render(request, "cases/_location_selects.html", location_choices(community_id, None) | {"oob": True})


@require_GET
def building_options(request: HttpRequest) -> HttpResponse:
    """htmx: the building select for a grid (or for the whole community while no grid is chosen)."""
    ctx = location_choices(_int(request.GET.get("community")), _int(request.GET.get("grid")))
    return render(request, "cases/_building_select.html", ctx)


@require_POST
def suggest_category(request: HttpRequest) -> HttpResponse:
    """htmx: the categories the classifier suggests for the text typed so far (the resident taps one to use it)."""
    from .classifier import classify

    text = request.POST.get("description", "").strip()[:1000]
    suggestions: list[Category] = []
    if len(text) >= 4:
        # The same classifier as POST /api/v1/cases/classify; unlikely categories are not worth a chip.
        ranked = [code for code, score in classify(text, top=SUGGESTIONS).categories if score >= MIN_SCORE]
        by_code = {c.code: c for c in Category.objects.filter(code__in=ranked, active=True)}
        suggestions = [by_code[c] for c in ranked if c in by_code][:SUGGESTIONS]
    return render(request, "cases/_suggestions.html", {"suggestions": suggestions})


def track_lookup(request: HttpRequest) -> HttpResponse:
    """Type a tracking code, go to its page."""
    code = request.GET.get("code", "").strip()
    error = ""
    if code:
        case = selectors.case_by_tracking_code(code)
        if case is not None:
            return redirect("public:track", code=case.tracking_code)
        error = _("Tracking code: no report has this code. Check the letters and digits.")
    return render(request, "cases/track_lookup.html", {"code": code, "error": error}, status=404 if error else 200)


def _track_page(request: HttpRequest, code: str, *, survey_error: str = "", status: int = 200) -> HttpResponse:
    case = selectors.case_by_tracking_code(code)
    if case is None:
        raise Http404
    return render(
        request,
        "cases/track.html",
        {
            "case": case,
            "asked_code": code.strip().upper(),
            "events": selectors.case_timeline(case, public_only=True).prefetch_related(None),
            "can_survey": case.status == Status.CLOSED,
            "satisfaction_choices": Satisfaction.choices,
            "survey_error": survey_error,
            "posted": request.POST if survey_error else {},
        },
        status=status,
    )


def track(request: HttpRequest, code: str) -> HttpResponse:
    """Progress of one report: the code, the status and the public timeline; the survey once it is closed."""
    return _track_page(request, code)


@require_POST
def survey(request: HttpRequest, code: str) -> HttpResponse:
    """The reporter rates a closed case: holding the tracking code is the proof (see survey_case_by_reporter)."""
    try:
        case: Case = services.survey_case_by_reporter(
            code, request.POST.get("satisfaction", ""), request.POST.get("comment", "")[:1000]
        )
    except ServiceError as exc:
        return _track_page(request, code, survey_error=exc.message, status=400)
    if case.status == Status.SURVEYED:
        messages.success(request, _("Thank you for your rating."))
    else:
        messages.success(request, _("Sorry it is not solved yet: the case has been sent back to be worked on again."))
    return redirect("public:track", code=code.strip().upper())
