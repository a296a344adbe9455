"""The in-app inbox: every user's notifications, newest first; opening one marks it read. And the webhook page."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.core.errors import ServiceError, access_object, require

from . import services
from .models import Notification, WebhookDelivery, WebhookEndpoint

PAGE_SIZE = 30
LAST_DELIVERIES = 5


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


# --- webhook endpoints page ---------------------------------------------------------------------------------


@login_required
def webhooks(request: HttpRequest) -> HttpResponse:
    """Endpoints with their last few deliveries, and a form to add one (its secret is shown once)."""
    require(request.user, "notifications.manage_webhooks")
    secret = ""
    error = ""
    form = {"name": "", "url": "", "events": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        try:
            endpoint, secret = services.create_webhook_endpoint(request.user, form["name"], form["url"], form["events"])
        except ServiceError as exc:
            error = exc.message
        else:
            form = {"name": "", "url": "", "events": ""}
            messages.success(
                request,
                _("Webhook “%(n)s” created. Copy its secret now: it is shown only once.") % {"n": endpoint.name},
            )
    # A sliced Prefetch: one query for the last few deliveries of every endpoint on the page, not one per endpoint.
    recent = WebhookDelivery.objects.order_by("-created_at", "-id")[:LAST_DELIVERIES]
    endpoints = WebhookEndpoint.objects.order_by("-active", "name", "id").prefetch_related(
        Prefetch("deliveries", queryset=recent, to_attr="recent_deliveries")
    )
    page = Paginator(endpoints, 50).get_page(request.GET.get("page"))
    response = render(
        request,
        "notifications/webhooks.html",
        {"page": page, "secret": secret, "error": error, "form": form},
        status=400 if error else 200,
    )
    if secret:
        response["Cache-Control"] = "no-store"  # the one page that shows a secret must not be kept anywhere
    return response


@login_required
@require_POST
def set_webhook_active(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = access_object(request.user, "notifications.manage_webhooks", WebhookEndpoint.objects.all(), pk=pk)
    active = request.POST.get("active") == "1"
    services.set_webhook_active(request.user, endpoint, active)
    if active:
        messages.success(request, _("Webhook “%(n)s” resumed.") % {"n": endpoint.name})
    else:
        messages.success(request, _("Webhook “%(n)s” paused.") % {"n": endpoint.name})
    return redirect("notifications:webhooks")
