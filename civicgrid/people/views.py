"""Pages over the population register: the masked resident list, a resident, and audited reveals."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import ServiceError, access_object, require

from . import selectors, services
from .models import CareTag


@login_required
def resident_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "people.list_residents")
    grid_id = request.GET.get("grid") or None
    q = request.GET.get("q", "").strip()
    care = request.GET.get("care", "")
    grid = None
    if grid_id and grid_id.isdigit():
        grid = get_object_or_404(grids_for(request.user), pk=int(grid_id))
    qs = selectors.resident_page(request.user, grid_id=grid.pk if grid else None, q=q, care=care)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "people/resident_list.html",
        {"page": page, "grid": grid, "q": q, "care": care, "care_tags": CareTag.objects.all()},
    )


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    require(request.user, "people.list_residents")
    grid_id = request.GET.get("grid") or None
    q = request.GET.get("q", "").strip()
    grid = None
    if grid_id and grid_id.isdigit():
        grid = get_object_or_404(grids_for(request.user), pk=int(grid_id))
    qs = selectors.household_page(request.user, grid_id=grid.pk if grid else None, q=q)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "people/household_list.html", {"page": page, "grid": grid, "q": q})


@login_required
def resident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    resident = access_object(
        request.user,
        "people.view_resident",
        selectors.residents_for(request.user).select_related("grid__community", "household__house__building"),
        pk=pk,
    )
    return render(
        request,
        "people/resident_detail.html",
        {
            "resident": resident,
            "members": resident.household.members.exclude(pk=resident.pk) if resident.household is not None else [],
            "can_reveal": request.user.has_perm("people.reveal_resident", resident),
        },
    )


@never_cache  # a plain ID or phone number must not stay in a browser or proxy cache
@login_required
@require_POST
def reveal(request: HttpRequest, pk: int, field: str) -> HttpResponse:
    """htmx: swap the masked value for the plain one, once the reason is recorded in the audit trail."""
    resident = access_object(request.user, "people.reveal_resident", selectors.residents_for(request.user), pk=pk)
    try:
        value = services.reveal_resident_field(request.user, resident, field, request.POST.get("reason", ""))
    except ServiceError as exc:
        return render(request, "people/_reveal.html", {"resident": resident, "field": field, "error": exc.message})
    return render(request, "people/_reveal.html", {"resident": resident, "field": field, "value": value})
