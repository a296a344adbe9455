"""Staff pages over patrols: a grid's patrols and the findings recorded on them."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import require

from . import selectors


@login_required
def grid_patrols(request: HttpRequest, grid_id: int) -> HttpResponse:
    require(request.user, "patrols.view_patrols")
    grid = get_object_or_404(grids_for(request.user), pk=grid_id)
    patrols = selectors.patrols_for(request.user).filter(grid=grid).order_by("-started_at")
    findings = (
        selectors.findings_for(request.user).filter(patrol__grid=grid).select_related("building", "patrol__walker")
    )
    show = request.GET.get("show", "")
    if show == "cases":
        findings = findings.filter(case__isnull=False)
    elif show == "solved":
        findings = findings.filter(solved_on_spot=True)
    return render(
        request,
        "patrols/grid.html",
        {
            "grid": grid,
            "patrols": Paginator(patrols, 20).get_page(request.GET.get("page")),
            "findings": findings[:30],
            "show": show,
        },
    )


@login_required
def finding_photo(request: HttpRequest, pk: int) -> FileResponse:
    """A finding's photo, for those who may see the finding (media files are not served publicly)."""
    require(request.user, "patrols.view_patrols")
    finding = get_object_or_404(selectors.findings_for(request.user), pk=pk)
    if not finding.photo:
        raise Http404
    from civicgrid.cases.services import PHOTO_TYPES

    fh = finding.photo.open("rb")
    head = fh.read(12)
    fh.seek(0)
    # The type from the file's first bytes, never from its name (the name came from a phone).
    ctype = next((t for t, magic in PHOTO_TYPES.items() if head.startswith(magic)), "application/octet-stream")
    response = FileResponse(fh, content_type=ctype)
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response
