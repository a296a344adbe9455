"""Pages of the steward programme: residents apply; community staff select, train and activate; the roster."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.selectors import communities_for, grids_for
from civicgrid.core.errors import ServiceError, access_object, require

from . import selectors, services
from .forms import ActivateForm, ApplyForm, DecideForm, TrainingForm
from .models import ApplicationStatus, TrainingSession


@login_required
def apply(request: HttpRequest) -> HttpResponse:
    """A resident's application to become a steward, and the state of their applications."""
    require(request.user, "stewards.apply")
    household = getattr(request.user, "household", None)
    street_id = household.grid.community.street_id if household is not None else None
    form = ApplyForm(request.POST or None, street_id=street_id)
    if household is not None and not form.is_bound:
        form.initial = {"community": household.grid.community_id, "grid": household.grid_id}
    if request.method == "POST" and form.is_valid():
        try:
            services.apply(request.user, **form.cleaned_data)
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, _("Thank you! The community will contact you about training."))
            return redirect("stewards:apply")
    return render(
        request,
        "stewards/apply.html",
        {"form": form, "applications": selectors.applications_for(request.user)},
    )


@login_required
def programme(request: HttpRequest) -> HttpResponse:
    """Applications (select or not, activate for a grid) and training sessions with attendance."""
    require(request.user, "stewards.manage_programme")
    status = request.GET.get("status", "")
    apps = selectors.applications_for(request.user).prefetch_related("attendance")
    if status in ApplicationStatus.values:
        apps = apps.filter(status=status)
    page = Paginator(apps.order_by("status", "-created_at"), 30).get_page(request.GET.get("page"))
    grids = grids_for(request.user).order_by("code")
    rows = [
        {
            "app": a,
            "trained": any(t.attended for t in a.attendance.all()),
            "activate": ActivateForm(grids=grids.filter(community_id=a.community_id), prefix=f"a{a.pk}"),
        }
        for a in page
    ]
    training = TrainingForm(
        communities=communities_for(request.user), applications=selectors.applications_for(request.user)
    )
    sessions = TrainingSession.objects.filter(community__in=communities_for(request.user)).select_related("community")[
        :10
    ]
    return render(
        request,
        "stewards/programme.html",
        {
            "page": page,
            "rows": rows,
            "status": status,
            "statuses": ApplicationStatus.choices,
            "decide_form": DecideForm(),
            "training": training,
            "sessions": sessions,
        },
    )


@login_required
@require_POST
def decide(request: HttpRequest, pk: int) -> HttpResponse:
    app = access_object(request.user, "stewards.manage_programme", selectors.applications_for(request.user), pk=pk)
    form = DecideForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose select or not selected."))
        return redirect("stewards:programme")
    try:
        services.decide(
            request.user, app, select=form.cleaned_data["decision"] == "select", note=form.cleaned_data["note"]
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("stewards:programme")


@login_required
@require_POST
def activate(request: HttpRequest, pk: int) -> HttpResponse:
    app = access_object(request.user, "stewards.manage_programme", selectors.applications_for(request.user), pk=pk)
    form = ActivateForm(request.POST, grids=grids_for(request.user), prefix=f"a{app.pk}")
    if not form.is_valid():
        messages.error(request, _("Grid: choose a grid of the applicant's community."))
        return redirect("stewards:programme")
    try:
        services.activate(request.user, app, form.cleaned_data["grid"])
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(u)s is now a steward of %(g)s.") % {"u": app.applicant, "g": form.cleaned_data["grid"]}
        )
    return redirect("stewards:programme")


@login_required
@require_POST
def record_training(request: HttpRequest) -> HttpResponse:
    require(request.user, "stewards.manage_programme")
    form = TrainingForm(
        request.POST, communities=communities_for(request.user), applications=selectors.applications_for(request.user)
    )
    if form.is_valid():
        try:
            services.record_training(
                request.user,
                form.cleaned_data["community"],
                title=form.cleaned_data["title"],
                held_at=form.cleaned_data["held_at"],
                minutes=form.cleaned_data["minutes"],
                trainer=form.cleaned_data["trainer"],
                attended=list(form.cleaned_data["attended"]),
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Training recorded."))
    else:
        messages.error(
            request, "；".join(f"{form.fields[k].label}: {e[0]}" for k, e in form.errors.items() if k in form.fields)
        )
    return redirect("stewards:programme")


@login_required
def roster(request: HttpRequest, grid_id: int) -> HttpResponse:
    """The stewards of a grid with their record: patrols, findings, cases raised and solved, patrol hours."""
    require(request.user, "patrols.view_patrols")
    grid = access_object(request.user, "stewards.view_roster", grids_for(request.user), pk=grid_id)
    stewards = list(selectors.steward_roster(request.user, grid.pk))
    minutes = selectors.patrol_minutes([s.pk for s in stewards])
    for s in stewards:
        m = minutes.get(s.pk, 0)
        s.patrol_hours = f"{m // 60}:{m % 60:02d}"  # type: ignore[attr-defined]
    return render(request, "stewards/roster.html", {"grid": grid, "stewards": stewards})
