from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render

from civicgrid.accounts.choices import Role, ScopeLevel


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role lands where its work is: its street, community or grid; residents on their own page."""
    user = request.user
    level = user.scope_level  # type: ignore[union-attr]
    if level == ScopeLevel.STREET and user.street_id:  # type: ignore[union-attr]
        return redirect("areas:street", pk=user.street_id)  # type: ignore[union-attr]
    if level == ScopeLevel.COMMUNITY and user.community_id:  # type: ignore[union-attr]
        return redirect("areas:community", pk=user.community_id)  # type: ignore[union-attr]
    if level == ScopeLevel.GRID and user.grid_id:  # type: ignore[union-attr]
        return redirect("areas:grid", pk=user.grid_id)  # type: ignore[union-attr]
    if user.role == Role.RESIDENT:  # type: ignore[union-attr]
        return redirect("accounts:resident_home")
    return render(request, "core/home.html")


def healthz(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cur:
        cur.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
