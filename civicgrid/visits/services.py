"""Recording household visits; a visit that finds a problem can raise a case at once."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.audit.services import record
from civicgrid.core.errors import ServiceError, require
from civicgrid.patrols.services import check_recorded_time
from civicgrid.people.models import Household

from .models import FollowUp, Purpose, Visit


def record_visit(
    actor: Any,
    household: Household,
    *,
    purpose: str = Purpose.CARE,
    found: str = "",
    needs: str = "",
    risks: str = "",
    follow_up: str = FollowUp.NONE,
    follow_up_note: str = "",
    case_category: str = "",
    client_id: uuid.UUID | None = None,
    visited_at: datetime | None = None,
) -> Visit:
    require(actor, "visits.record_in_grid", household.grid)
    if purpose not in Purpose.values:
        raise ServiceError(_("Purpose: unknown purpose."), field="purpose")
    if follow_up not in FollowUp.values:
        raise ServiceError(_("Follow-up: unknown follow-up."), field="follow_up")
    if follow_up == FollowUp.CASE and not (found.strip() or needs.strip() or risks.strip()):
        raise ServiceError(_("What was found: describe the problem the case is about."), field="found")
    at = check_recorded_time(visited_at)
    with transaction.atomic():
        visit = Visit.objects.create(
            household=household,
            grid=household.grid,
            visitor=actor,
            client_id=client_id,
            visited_at=at,
            purpose=purpose,
            found=found.strip(),
            needs=needs.strip()[:200],
            risks=risks.strip()[:200],
            follow_up=follow_up,
            follow_up_note=follow_up_note.strip()[:200],
        )
        if follow_up == FollowUp.CASE:
            from civicgrid.cases.choices import Channel
            from civicgrid.cases.services import Intake, submit_case

            text = "；".join(t for t in (found.strip(), needs.strip(), risks.strip()) if t)
            visit.case, _c = submit_case(
                actor,
                Intake(
                    description=f"入户走访发现：{text}",
                    category_code=case_category,
                    channel=Channel.PATROL,
                    building_id=household.house.building_id,
                ),
                idempotency_key=f"visit:{visit.pk}",
                idempotency_scope="visit",
            )
            visit.save(update_fields=["case"])
        record(
            actor,
            "visits.record",
            visit,
            after={"household": household.code, "purpose": purpose, "follow_up": follow_up},
        )
    return visit
