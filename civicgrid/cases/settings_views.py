"""The street admin's settings page: the data the product ships and the street may edit.

The case categories (names, default responder type, time limits), the working calendar (public holidays and
make-up workdays) and the street's patrol checklist. Plain POST forms, one per row; each calls one service, and
a refused change shows the page again with the service's message next to the form it came from.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from civicgrid.core.errors import ServiceError, field_message, require
from civicgrid.patrols import services as patrol_services
from civicgrid.patrols.models import ChecklistItem
from civicgrid.responders.choices import ResponderKind

from . import services
from .models import CalendarDay, Category


def _require_admin(request: HttpRequest) -> None:
    require(request.user, "cases.manage_categories")
    require(request.user, "cases.manage_calendar")
    require(request.user, "patrols.edit_checklist")


def _checklist(street_id: int | None) -> tuple[list[ChecklistItem], bool]:
    """The street's own items (active or not) once it has a copy, else the shipped defaults."""
    own = list(ChecklistItem.objects.filter(street_id=street_id).select_related("category")) if street_id else []
    if own:
        return own, True
    return list(ChecklistItem.objects.filter(street__isnull=True).select_related("category")), False


def _page(request: HttpRequest, error: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:
    this_year = timezone.localdate().year
    roots = Category.objects.filter(parent__isnull=True).prefetch_related(
        Prefetch("children", queryset=Category.objects.order_by("code"))
    )
    items, own = _checklist(request.user.street_id)  # type: ignore[union-attr]
    return render(
        request,
        "cases/settings.html",
        {
            "roots": roots,
            "leaves": Category.objects.filter(parent__isnull=False, active=True).order_by("code"),
            "responder_kinds": ResponderKind.choices,
            "days": CalendarDay.objects.filter(date__year__in=[this_year, this_year + 1]),
            "years": (this_year, this_year + 1),
            "items": items,
            "own_checklist": own,
            "error": error or {},
            # The add forms show what was typed again when it was refused.
            "posted": request.POST if error else {},
        },
        status=status,
    )


def _refused(request: HttpRequest, kind: str, pk: int | None, exc: ServiceError) -> HttpResponse:
    """The page again, with the message next to the form that was refused (nothing was changed)."""
    return _page(request, {"kind": kind, "pk": pk, "message": exc.message}, status=400)


def _done(request: HttpRequest, message: str, anchor: str) -> HttpResponse:
    messages.success(request, message)
    return redirect(reverse("cases:settings") + "#" + anchor)


def _category_values(post: Any) -> dict[str, Any]:
    return {
        "name_zh": post.get("name_zh", ""),
        "name_en": post.get("name_en", ""),
        "responder_kind": post.get("responder_kind", ""),
        "accept_minutes": post.get("accept_minutes", ""),
        "resolve_minutes": post.get("resolve_minutes", ""),
        "urgent": post.get("urgent") == "on",
        "active": post.get("active") == "on",
        "description": post.get("description", ""),
    }


@login_required
def settings_page(request: HttpRequest) -> HttpResponse:
    _require_admin(request)
    return _page(request)


@login_required
@require_POST
def category_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "cases.manage_categories")
    category = get_object_or_404(Category, pk=pk)
    try:
        services.update_category(request.user, category, **_category_values(request.POST))
    except ServiceError as exc:
        return _refused(request, "cat", pk, exc)
    return _done(request, _("Category %(code)s saved.") % {"code": category.code}, f"cat-{pk}")


@login_required
@require_POST
def category_add(request: HttpRequest) -> HttpResponse:
    require(request.user, "cases.manage_categories")
    parent = Category.objects.filter(pk=_int(request.POST.get("parent")), parent__isnull=True).first()
    try:
        if parent is None:
            raise ServiceError(
                field_message(pgettext("case category", "Parent"), _("choose a top-level category.")), field="parent"
            )
        category = services.create_category(
            request.user, parent, code=request.POST.get("code", ""), **_category_values(request.POST)
        )
    except ServiceError as exc:
        return _refused(request, "cat", None, exc)
    return _done(request, _("Category %(code)s added.") % {"code": category.code}, f"cat-{category.pk}")


@login_required
@require_POST
def calendar_edit(request: HttpRequest) -> HttpResponse:
    require(request.user, "cases.manage_calendar")
    kind = request.POST.get("kind", "")
    try:
        try:
            day = date.fromisoformat(request.POST.get("date", ""))
        except ValueError:
            raise ServiceError(field_message(_("Date"), _("enter a date.")), field="date") from None
        if kind not in ("holiday", "workday", "remove"):
            raise ServiceError(field_message(_("Kind"), _("choose a holiday or a make-up workday.")), field="kind")
        is_workday = None if kind == "remove" else kind == "workday"
        services.update_calendar_day(request.user, day, is_workday, request.POST.get("note", ""))
    except ServiceError as exc:
        return _refused(request, "cal", None, exc)
    if is_workday is None:
        message = _("%(date)s is an ordinary day again.") % {"date": day}
    elif is_workday:
        message = _("%(date)s is now a make-up workday.") % {"date": day}
    else:
        message = _("%(date)s is now a holiday.") % {"date": day}
    return _done(request, message, "calendar")


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _item_category(post: Any) -> Category | None:
    return Category.objects.filter(pk=_int(post.get("category")), parent__isnull=False).first()


@login_required
@require_POST
def checklist_edit(request: HttpRequest, pk: int) -> HttpResponse:
    require(request.user, "patrols.edit_checklist")
    street_id = request.user.street_id  # type: ignore[union-attr]
    # Their own street's items, or a default one (edited through the street's copy).
    item = get_object_or_404(ChecklistItem.objects.filter(Q(street_id=street_id) | Q(street__isnull=True)), pk=pk)
    try:
        own = patrol_services.update_checklist_item(
            request.user,
            item,
            name=request.POST.get("name", ""),
            category=_item_category(request.POST),
            order=request.POST.get("order", ""),
            active=request.POST.get("active") == "on",
        )
    except ServiceError as exc:
        return _refused(request, "item", pk, exc)
    return _done(request, _("Checklist item “%(name)s” saved.") % {"name": own.name}, f"item-{own.pk}")


@login_required
@require_POST
def checklist_add(request: HttpRequest) -> HttpResponse:
    require(request.user, "patrols.edit_checklist")
    street_id = request.user.street_id  # type: ignore[union-attr]
    try:
        if street_id is None:
            raise ServiceError(_("Only an admin of a street can edit its checklist."))
        item = patrol_services.add_checklist_item(
            request.user,
            street_id,
            code=request.POST.get("code", ""),
            name=request.POST.get("name", ""),
            category=_item_category(request.POST),
            order=request.POST.get("order", ""),
        )
    except ServiceError as exc:
        return _refused(request, "item", None, exc)
    return _done(request, _("Checklist item “%(name)s” added.") % {"name": item.name}, f"item-{item.pk}")
