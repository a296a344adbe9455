"""Staff pages over disputes: the list, one dispute (parties masked) with its sessions, and the monthly screening."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import ServiceError, access_object, require

from . import selectors, services
from .forms import ConcludeForm, SessionForm
from .models import Dispute, DisputeStatus


@login_required
def dispute_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "disputes.view_disputes")
    disputes = selectors.disputes_for(request.user)
    grid = None
    if request.GET.get("grid"):
        grid = get_object_or_404(
            grids_for(request.user), pk=request.GET["grid"] if request.GET["grid"].isdigit() else 0
        )
        disputes = disputes.filter(grid=grid)
    status = request.GET.get("status", "")
    if status in DisputeStatus.values:
        disputes = disputes.filter(status=status)
    return render(
        request,
        "disputes/list.html",
        {
            "grid": grid,
            "page": Paginator(disputes, 30).get_page(request.GET.get("page")),
            "status": status,
            "statuses": DisputeStatus.choices,
        },
    )


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = access_object(
        request.user,
        "disputes.view_disputes",
        selectors.disputes_for(request.user).prefetch_related("sessions__recorded_by"),
        pk=pk,
    )
    can_record = request.user.has_perm("disputes.record_in_grid", dispute.grid)  # type: ignore[union-attr]
    return render(
        request,
        "disputes/detail.html",
        {
            "dispute": dispute,
            "can_record": can_record,
            "session_form": SessionForm(),
            "conclude_form": ConcludeForm(),
        },
    )


def _recordable(request: HttpRequest, pk: int) -> Dispute:
    dispute = access_object(request.user, "disputes.view_disputes", selectors.disputes_for(request.user), pk=pk)
    require(request.user, "disputes.record_in_grid", dispute.grid)
    return dispute


@login_required
@require_POST
def add_session(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _recordable(request, pk)
    form = SessionForm(request.POST)
    if form.is_valid():
        try:
            services.add_session(
                request.user, dispute, note=form.cleaned_data["note"], is_follow_up=form.cleaned_data["is_follow_up"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Session recorded."))
    else:
        messages.error(request, _("Note: say what happened in the session."))
    return redirect("disputes:detail", pk=pk)


@login_required
@require_POST
def conclude(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = _recordable(request, pk)
    form = ConcludeForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.conclude_dispute(
                request.user,
                dispute,
                status=form.cleaned_data["status"],
                outcome=form.cleaned_data["outcome"],
                agreement=form.cleaned_data["agreement"],
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Outcome recorded."))
    else:
        messages.error(request, _("Outcome: choose settled, referred or failed and describe it."))
    return redirect("disputes:detail", pk=pk)


@login_required
def agreement(request: HttpRequest, pk: int) -> FileResponse:
    dispute = access_object(request.user, "disputes.view_disputes", selectors.disputes_for(request.user), pk=pk)
    if not dispute.agreement:
        raise Http404
    fh = dispute.agreement.open("rb")
    head = fh.read(8)
    fh.seek(0)
    ctype = (
        "application/pdf" if head.startswith(b"%PDF") else "image/png" if head.startswith(b"\x89PNG") else "image/jpeg"
    )
    response = FileResponse(fh, content_type=ctype, as_attachment=True, filename=f"agreement-{dispute.pk}")
    response["Cache-Control"] = "private, no-store"
    return response


def _month(value: str) -> date:
    try:
        year, month = (int(x) for x in value.split("-")[:2])
        return date(year, month, 1)
    except (TypeError, ValueError):
        return timezone.localdate().replace(day=1)


@login_required
def screening_status(request: HttpRequest) -> HttpResponse:
    """The monthly screening: which grids reported (disputes or 零报告) and which have not."""
    require(request.user, "disputes.view_disputes")
    month = _month(request.GET.get("month", ""))
    missing = selectors.grids_missing_screening(request.user, month).order_by("code")
    reports = selectors.screenings_for(request.user).filter(month=month).order_by("grid__code")
    return render(
        request,
        "disputes/screening.html",
        {
            "month": month,
            "missing": missing,
            "reports": reports,
            "nothing_found": sum(r.nothing_found for r in reports),
        },
    )
