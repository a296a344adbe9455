"""Small pieces the case pages share: the time-left badge, timeline labels, who did a step (as a role)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from civicgrid.accounts.choices import Role

from ..choices import Status
from ..services import current_due
from ..workflow import ON_THE_SPOT, STEPS

register = template.Library()

# Timeline actions that are not steps of the loop.
OTHER_ACTIONS = {
    "submit": lambda: _("Report received"),
    "merged_in": lambda: _("Another report of the same matter merged in"),
    "extension_approved": lambda: _("Extension approved"),
    "extension_rejected": lambda: _("Extension refused"),
    "whistle_report": lambda: _("Summoned unit reported"),
}


@register.filter(name="span")
def duration(minutes: int) -> str:
    """A span of time as people say it: "2 d 3 h", "3 h 20 min", "15 min"."""
    minutes = max(int(minutes), 0)
    days, rest = divmod(minutes, 60 * 24)
    hours, mins = divmod(rest, 60)
    if days:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": mins}
    return _("%(m)d min") % {"m": mins}


@register.simple_tag
def due_badge(case: Any, now: datetime | None = None) -> SafeString:
    """Time left on the limit that runs now, or how long it is overdue."""
    due = current_due(case)
    if due is None:
        return SafeString("")
    now = now or timezone.now()
    minutes = int((due - now).total_seconds() // 60)
    if case.overdue or minutes < 0:
        # Flagged by the periodic check and the limit moved since (an extension): still overdue, no length to say.
        text = _("Overdue %(t)s") % {"t": duration(-minutes)} if minutes < 0 else _("Overdue")
        return format_html('<span class="badge overdue" data-testid="overdue">{}</span>', text)
    css = "badge warn" if case.warned_at else "badge ok"
    return format_html('<span class="{}">{}</span>', css, _("%(t)s left") % {"t": duration(minutes)})


@register.filter
def action_label(action: str) -> str:
    if action in STEPS:
        return str(STEPS[action].label)
    if action == ON_THE_SPOT.name:
        return str(ON_THE_SPOT.label)
    if action in OTHER_ACTIONS:
        return OTHER_ACTIONS[action]()
    return action


@register.filter
def status_label(status: str) -> str:
    return str(Status(status).label) if status in Status.values else status


@register.filter
def public_actor(event: Any) -> str:
    """Who took a step, as the public sees it: a role, never a name."""
    actor = event.actor
    if actor is None or actor.role == Role.RESIDENT:
        return _("Reporter")
    if actor.role == Role.RESPONDER:
        return _("Responder unit")
    return str(Role(actor.role).label)


@register.simple_tag
def staff_actor(event: Any, case: Any, may_see_personal: bool) -> str:
    """Who took a step, for staff: names of staff and units; the reporter only to those who may see personal data."""
    actor = event.actor
    if actor is None or actor.role == Role.RESIDENT:
        if may_see_personal and not case.anonymous and case.reporter_name:
            return _("Reporter (%(name)s)") % {"name": case.reporter_name}
        return _("Reporter")
    return f"{event.actor_label} · {Role(actor.role).label}"
