"""The in-app inbox: every user's notifications, newest first; opening one marks it read."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import services
from .models import Notification

PAGE_SIZE = 30


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    notes = Notification.objects.filter(user_id=int(request.user.pk or 0))
    unread_only = request.GET.get("unread") == "1"
    page = Paginator(notes.filter(read_at=None) if unread_only else notes, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": unread_only, "unread_count": notes.filter(read_at=None).count()},
    )


@login_required
def open_notification(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification's link, marking it read on the way (only links inside CivicGrid are followed)."""
    note = get_object_or_404(Notification, pk=pk, user_id=request.user.pk)
    services.mark_read(request.user, [note.pk])
    if note.url and url_has_allowed_host_and_scheme(note.url, allowed_hosts={request.get_host()}):
        return redirect(note.url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Mark one notification (or all of them) read; from htmx, the item comes back updated."""
    services.mark_read(request.user, [pk] if pk is not None else None)
    if pk is not None and getattr(request, "htmx", False):
        note = get_object_or_404(Notification, pk=pk, user_id=request.user.pk)
        return render(request, "notifications/_item.html", {"note": note})
    return redirect("notifications:inbox")
