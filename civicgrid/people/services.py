"""Every change to the population register, and every reveal of a resident's personal data."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import connections, models, router, transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.core.errors import ServiceError, require

from .models import Resident

if TYPE_CHECKING:
    from .importers import ImportPlan

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


IMPORT_BATCH_SIZE = 2000


def write_registry_import(actor: Any, plan: ImportPlan) -> dict[str, int]:
    """Write a checked import (`importers.validate`) in one transaction, with one audit event for the file.

    `plan.batches` are written in order with bulk_create, which sets their primary keys (RETURNING on SQLite ≥ 3.35
    and PostgreSQL): houses before the households that live in them, residents before their care-group links.
    `plan.leaves` are rows nothing in the import points at: they are inserted without asking for their ids.
    Returns how many rows of each model were created, e.g. {"houses": 3, "households": 40}.
    """
    require(actor, "people.import_registry")
    created: dict[str, int] = {}
    with transaction.atomic():
        for batch in plan.batches:
            if batch:
                type(batch[0])._default_manager.bulk_create(batch, batch_size=IMPORT_BATCH_SIZE)
                _count(created, batch)
        for batch in plan.leaves:
            if batch:
                _insert_leaves(batch)
                _count(created, batch)
        if plan.care_links:
            through = Resident.care_tags.through
            through.objects.bulk_create(
                [through(resident_id=resident.pk, caretag_id=tag_id) for resident, tag_id in plan.care_links],
                batch_size=IMPORT_BATCH_SIZE,
            )
        # No personal data in the trail: the file is identified by its name and hash, the change by its counts.
        record(
            actor,
            f"people.import_{plan.kind}",
            None,
            target_type=f"people.{plan.kind}",
            after={"rows": plan.rows, "created": created, "file_sha256": plan.file_sha256, "file_name": plan.file_name},
        )
    return created


def _count(created: dict[str, int], batch: list[Model]) -> None:
    key = f"{batch[0]._meta.model_name}s"
    created[key] = created.get(key, 0) + len(batch)


# Fields whose Python value (str, int, bool or None) goes to the database driver unchanged. (A subclass that
# transforms its value in get_db_prep_value, e.g. an encrypting field, must not be written through _insert_leaves.)
_AS_IS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _insert_leaves(batch: list[Model]) -> None:
    """bulk_create minus the ORM's SQL compilation, for rows whose ids nobody needs back.

    On SQLite bulk_create compiles one INSERT per 66 rows (999 parameters), value by value: for 50,000 residents
    that costs three times the insert itself. One prepared statement run by executemany costs only the insert.
    Every foreign key of these rows must already be set as an id (grid_id, household_id), not as an unsaved object.
    """
    model = type(batch[0])
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(str(f.column)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    # Dates, times and floats are adapted by their field; pre_save fills auto_now_add columns (created_at).
    columns = [(f.attname, None if isinstance(f, _AS_IS) else f) for f in fields]
    with connection.cursor() as cursor:
        for start in range(0, len(batch), IMPORT_BATCH_SIZE):
            cursor.executemany(
                sql,
                [
                    [
                        getattr(obj, attname) if f is None else f.get_db_prep_save(f.pre_save(obj, True), connection)
                        for attname, f in columns
                    ]
                    for obj in batch[start : start + IMPORT_BATCH_SIZE]
                ],
            )
