from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.accounts.choices import Role

from .models import AuditEvent


def events_for(user: Any) -> QuerySet[AuditEvent]:
    """Street admins read the trail of everything done by accounts of their street (and by the system)."""
    qs = AuditEvent.objects.select_related("actor")
    if user.is_superuser:
        return qs
    if user.is_authenticated and user.role == Role.STREET_ADMIN:
        s = user.street_id
        return qs.filter(
            Q(actor__isnull=True)
            | Q(actor__street_id=s)
            | Q(actor__community__street_id=s)
            | Q(actor__grid__community__street_id=s)
            | Q(actor__role=Role.RESIDENT, actor__household__grid__community__street_id=s)
        )
    return qs.none()
