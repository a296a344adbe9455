"""Pages over places: street → community → grid, point/address look-up, boundary import."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.accounts.selectors import staff_of_grid, stewards_of_grid
from civicgrid.core.errors import ServiceError, access_object, require
from civicgrid.party.selectors import party_organisation_of
from civicgrid.people.models import Resident
from civicgrid.people.selectors import care_group_counts, residents_for

from . import selectors, services
from .forms import BoundaryImportForm, LocateForm


def _resident_count_by(path: str) -> Coalesce:
    sub = Resident.objects.filter(**{path: OuterRef("pk")}).order_by().values(path).annotate(n=Count("id")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


@login_required
def street_detail(request: HttpRequest, pk: int) -> HttpResponse:
    street = access_object(request.user, "areas.view_street", selectors.streets_for(request.user), pk=pk)
    communities = (
        selectors.communities_with_counts(request.user)
        .filter(street=street)
        .annotate(resident_count=_resident_count_by("grid__community"))
    )
    grids = selectors.grids_for(request.user).filter(community__street=street)
    return render(
        request,
        "areas/street.html",
        {
            "street": street,
            "communities": communities,
            "grid_count": grids.count(),
            "resident_count": sum(c.resident_count for c in communities),
            "geojson": selectors.feature_collection(grids),
        },
    )


@login_required
def community_detail(request: HttpRequest, pk: int) -> HttpResponse:
    community = access_object(
        request.user, "areas.view_community", selectors.communities_for(request.user).select_related("street"), pk=pk
    )
    grids = selectors.grids_for(request.user).filter(community=community)
    rows: list[Any] = list(selectors.grids_with_counts(grids))
    return render(
        request,
        "areas/community.html",
        {
            "community": community,
            "grids": rows,
            "totals": {
                "grids": len(rows),
                "buildings": sum(g.building_count for g in rows),
                "households": sum(g.household_count for g in rows),
                "residents": sum(g.resident_count for g in rows),
                "units": sum(g.unit_count for g in rows),
            },
            "service_places": selectors.service_places_for(request.user).filter(community=community, grid__isnull=True),
            "geojson": selectors.feature_collection(grids),
        },
    )


@login_required
def grid_detail(request: HttpRequest, pk: int) -> HttpResponse:
    grid = access_object(
        request.user, "areas.view_grid", selectors.grids_with_counts(selectors.grids_for(request.user)), pk=pk
    )
    geojson = selectors.feature_collection(selectors.grids_for(request.user).filter(pk=grid.pk), highlight_id=grid.pk)
    buildings = list(grid.buildings.annotate(house_count=Count("houses")).order_by("code")[:200])
    for b in buildings:
        if b.lat is not None and b.lng is not None:
            geojson["features"].append(
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [b.lng, b.lat]},
                    "properties": {"name": f"{b.name} · {b.address}"},
                }
            )
    residents = residents_for(request.user).filter(grid=grid)
    return render(
        request,
        "areas/grid.html",
        {
            "grid": grid,
            "geojson": geojson,
            "staff": staff_of_grid(grid.pk),
            "stewards": stewards_of_grid(grid.pk),
            "buildings": buildings,
            "units": grid.units.select_related("building").order_by("name")[:100],
            "micro_grids": grid.micro_grids.all(),
            "care_groups": care_group_counts(residents),
            "party": party_organisation_of(grid),
            "service_places": grid.service_places.all(),
        },
    )


@login_required
def locate(request: HttpRequest) -> HttpResponse:
    require(request.user, "areas.locate")
    form = LocateForm(request.GET or None)
    result = None
    if form.is_valid():
        try:
            result = selectors.resolve_location(
                lat=form.cleaned_data["lat"], lng=form.cleaned_data["lng"], address=form.cleaned_data["address"]
            )
        except ServiceError as exc:
            form.add_error(None, exc.message)
    return render(request, "areas/locate.html", {"form": form, "result": result})


@login_required
def import_boundaries(request: HttpRequest) -> HttpResponse:
    require(request.user, "areas.import_boundaries")
    form = BoundaryImportForm(request.POST or None, request.FILES or None)
    problems: list[services.BoundaryProblem] = []
    if request.method == "POST" and form.is_valid():
        try:
            summary = services.import_boundaries(request.user, form.cleaned_data["file"].read())
        except services.BoundaryImportError as exc:
            problems = exc.problems
        else:
            messages.success(
                request,
                _("Boundaries imported: %(c)d grids created, %(u)d updated.")
                % {"c": summary["created"], "u": summary["updated"]},
            )
            return redirect("areas:import_boundaries")
    return render(request, "areas/import_boundaries.html", {"form": form, "problems": problems})
