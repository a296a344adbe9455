"""Staff pages over household visits: a grid's visits, and who is due or overdue for a visit."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Max, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from civicgrid.accounts.choices import Role
from civicgrid.accounts.selectors import users_for
from civicgrid.areas.selectors import grids_for
from civicgrid.core.errors import require

from . import selectors


@login_required
def grid_visits(request: HttpRequest, grid_id: int) -> HttpResponse:
    require(request.user, "visits.view_visits")
    grid = get_object_or_404(grids_for(request.user), pk=grid_id)
    due = [d for d in selectors.due_visits(request.user) if d.household.grid_id == grid.pk]
    since = timezone.now() - timedelta(days=30)
    # Who works the grid, each with their visits of the last 30 days: the due list is theirs to share.
    people = (
        users_for(request.user)
        .filter(grid=grid, is_active=True, role__in=[Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD])
        .annotate(recent=Count("visits", filter=Q(visits__visited_at__gte=since)), last=Max("visits__visited_at"))
        .order_by("role", "display_name")
    )
    visits = selectors.visits_for(request.user).filter(grid=grid).select_related("case")
    return render(
        request,
        "visits/grid.html",
        {
            "grid": grid,
            "due": due,
            "overdue": sum(1 for d in due if d.overdue_days),
            "people": people,
            "visits": Paginator(visits, 30).get_page(request.GET.get("page")),
        },
    )
