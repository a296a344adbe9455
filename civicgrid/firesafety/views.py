"""The fire-safety register of a grid: items per building, what expires soon, what has expired."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import ServiceError, access_object, require
from civicgrid.people.models import Building

from . import selectors, services
from .forms import AddItemForm, CheckItemForm


@login_required
def register(request: HttpRequest, grid_id: int) -> HttpResponse:
    require(request.user, "firesafety.view_register")
    grid = get_object_or_404(grids_for(request.user), pk=grid_id)
    items = selectors.items_for(request.user).filter(building__grid=grid)
    buildings = Building.objects.filter(grid=grid).order_by("code")
    can_record = request.user.has_perm("firesafety.record_in_grid", grid)  # type: ignore[union-attr]
    form = AddItemForm(request.POST or None, buildings=buildings)
    if request.method == "POST":
        require(request.user, "firesafety.record_in_grid", grid)
        if form.is_valid():
            try:
                services.add_item(
                    request.user,
                    form.cleaned_data["building"],
                    kind=form.cleaned_data["kind"],
                    location=form.cleaned_data["location"],
                    expires_on=form.cleaned_data["expires_on"],
                )
            except ServiceError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, _("Item added to the register."))
                return redirect("firesafety:register", grid_id=grid.pk)
    ordered = list(items.order_by("building__code", "kind", "location"))
    return render(
        request,
        "firesafety/register.html",
        {
            "grid": grid,
            "by_building": [(b, list(rows)) for b, rows in groupby(ordered, key=lambda i: i.building)],
            "expiring": selectors.expiring(items),
            "expired": selectors.expired(items),
            "form": form,
            "check_form": CheckItemForm(),
            "can_record": can_record,
        },
    )


@login_required
@require_POST
def check(request: HttpRequest, pk: int) -> HttpResponse:
    item = access_object(request.user, "firesafety.view_register", selectors.items_for(request.user), pk=pk)
    grid = item.building.grid
    require(request.user, "firesafety.record_in_grid", grid)
    form = CheckItemForm(request.POST)
    if form.is_valid():
        try:
            services.check_item(
                request.user, item, state=form.cleaned_data["state"], expires_on=form.cleaned_data["expires_on"]
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Check recorded."))
    else:
        messages.error(request, _("State: choose the item's state."))
    return redirect("firesafety:register", grid_id=grid.pk)
