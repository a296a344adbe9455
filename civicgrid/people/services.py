"""Every change to the population register, and every reveal of a resident's personal data."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.core.errors import ServiceError, require

from .models import Resident

REVEALABLE = {"id_number": "id_number_cipher", "phone": "phone_cipher"}
MIN_REASON_LENGTH = 4


def reveal_resident_field(actor: Any, resident: Resident, field: str, reason: str) -> str:
    """Decrypt one field for an authorised user who states why; the reveal is written to the audit trail."""
    require(actor, "people.reveal_resident", resident)
    if field not in REVEALABLE:
        raise ServiceError(_("Field: only the ID number or the phone number can be revealed."), field="field")
    reason = reason.strip()
    if len(reason) < MIN_REASON_LENGTH:
        raise ServiceError(
            _("Reason: state why you need to see it (at least %(n)d characters).") % {"n": MIN_REASON_LENGTH},
            field="reason",
        )
    cipher = getattr(resident, REVEALABLE[field])
    if not cipher:
        raise ServiceError(_("This resident has no value recorded for that field."), field="field")
    with transaction.atomic():
        record(actor, f"people.reveal_{field}", resident, reason=reason)
    # Decrypt only after the reveal is committed to the trail: no record, no plaintext.
    return crypto.decrypt(cipher)
