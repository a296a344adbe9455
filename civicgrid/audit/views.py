from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from civicgrid.core.errors import require

from .selectors import events_for


@login_required
def events(request: HttpRequest) -> HttpResponse:
    require(request.user, "audit.view_audit_trail")
    qs = events_for(request.user)
    action = request.GET.get("action", "").strip()
    if action:
        qs = qs.filter(action__startswith=action)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "audit/events.html", {"page": page, "action": action})
