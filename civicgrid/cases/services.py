"""Every change to a case: intake (any channel, idempotent), each step of the loop, extensions, whistles, merges.

Each function checks the named permission (`cases.<step>`), validates, changes the case inside one transaction
(with the row locked), writes the timeline event and the audit event, and sends notifications on commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.core.errors import ServiceError, field_message, require
from civicgrid.core.validators import phone_error
from civicgrid.notifications.services import emit_event, notify
from civicgrid.people.models import Building
from civicgrid.responders.models import Responder
from civicgrid.responders.selectors import responders_serving

from . import calendar
from .choices import Channel, ExtensionStatus, Kind, Satisfaction, Status, Urgency
from .models import Case, CaseAttachment, CaseEvent, Category, ExtensionRequest, IdempotencyKey, Whistle, WhistleSummons
from .workflow import ON_THE_SPOT, STEPS

MAX_DESCRIPTION = 4000
MAX_PHOTOS = 6
MAX_PHOTO_BYTES = 8 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG", "image/webp": b"RIFF"}
TRACKING_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read out over the phone


@dataclass
class Intake:
    """What a report says, from whichever channel it came."""

    description: str
    category_code: str = ""
    kind: str = ""
    lat: float | None = None
    lng: float | None = None
    address_text: str = ""
    building_id: int | None = None
    grid_id: int | None = None
    channel: str = Channel.WEB
    urgency: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    anonymous: bool = False


def _now() -> datetime:
    return timezone.now()


def _tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def check_photos(photos: Sequence[UploadedFile]) -> None:
    if len(photos) > MAX_PHOTOS:
        raise ServiceError(_("Photos: at most %(n)d photos.") % {"n": MAX_PHOTOS}, field="photos")
    for photo in photos:
        if (photo.size or 0) > MAX_PHOTO_BYTES:
            raise ServiceError(_("Photos: “%(f)s” is larger than 8 MB.") % {"f": photo.name}, field="photos")
        head = photo.read(12)
        photo.seek(0)
        if not any(head.startswith(magic) for magic in PHOTO_TYPES.values()):
            raise ServiceError(
                _("Photos: “%(f)s” is not a JPEG, PNG or WebP image.") % {"f": photo.name}, field="photos"
            )


def _content_type(photo: UploadedFile) -> str:
    head = photo.read(12)
    photo.seek(0)
    for ctype, magic in PHOTO_TYPES.items():
        if head.startswith(magic):
            return ctype
    return "application/octet-stream"


def _attach(case: Case, photos: Sequence[UploadedFile], event: CaseEvent | None = None) -> None:
    for photo in photos:
        CaseAttachment.objects.create(
            case=case, event=event, file=photo, content_type=_content_type(photo), size=photo.size or 0
        )


def _route(data: Intake) -> tuple[Grid | None, Building | None]:
    """Where the case belongs: the building's grid, the grid containing the point, or the address's grid."""
    from civicgrid.areas.locator import get_locator
    from civicgrid.areas.selectors import resolve_location

    if data.building_id:
        building = Building.objects.select_related("grid__community").filter(pk=data.building_id).first()
        if building is None:
            raise ServiceError(_("Building: unknown building."), field="building_id")
        return building.grid, building
    if data.grid_id:
        grid = Grid.objects.select_related("community").filter(pk=data.grid_id).first()
        if grid is None:
            raise ServiceError(_("Grid: unknown grid."), field="grid_id")
        return grid, None
    if data.lat is not None and data.lng is not None:
        grid_id = get_locator().locate(data.lng, data.lat)
        return (Grid.objects.select_related("community").get(pk=grid_id) if grid_id else None), None
    if data.address_text:
        location = resolve_location(address=data.address_text)
        return location.grid, None
    return None, None


def owner_for(grid: Grid | None) -> User:
    """首接负责: the grid worker of the grid, else its leader, else community staff, else a street admin."""
    candidates = User.objects.filter(is_active=True).order_by("id")
    if grid is not None:
        # Down the chain one query at a time: the first almost always answers, and each is a simple indexed
        # look-up (a single query ranking the whole chain measured three times slower).
        for role in (Role.GRID_WORKER, Role.GRID_LEADER):
            user = candidates.filter(role=role, grid=grid).first()
            if user:
                return user
        user = candidates.filter(role=Role.COMMUNITY_STAFF, community_id=grid.community_id).first()
        if user:
            return user
        user = candidates.filter(role=Role.STREET_ADMIN, street_id=grid.community.street_id).first()
        if user:
            return user
    user = candidates.filter(role=Role.STREET_ADMIN).first()
    if user is None:
        raise ServiceError(_("No one can receive cases yet: create a street admin first."))
    return user


def _validate(data: Intake) -> tuple[Category, str]:
    description = data.description.strip()
    if not description:
        raise ServiceError(_("Description: please say what happened."), field="description")
    if len(description) > MAX_DESCRIPTION:
        raise ServiceError(
            _("Description: at most %(n)d characters (you wrote %(m)d).")
            % {"n": MAX_DESCRIPTION, "m": len(description)},
            field="description",
        )
    if data.lat is not None and not -90 <= data.lat <= 90:
        raise ServiceError(_("Latitude must be between -90 and 90."), field="lat")
    if data.lng is not None and not -180 <= data.lng <= 180:
        raise ServiceError(_("Longitude must be between -180 and 180."), field="lng")
    if (data.lat is None) != (data.lng is None):
        raise ServiceError(_("Location: both latitude and longitude are needed."), field="lat")
    if data.lat is None and not (data.building_id or data.grid_id or data.address_text.strip()):
        raise ServiceError(
            _("Location: pin the place on the map, choose a building, or type the address."), field="address_text"
        )
    if data.reporter_phone and (err := phone_error(data.reporter_phone)):
        raise ServiceError(field_message(_("Phone"), err), field="reporter_phone")
    if data.kind and data.kind not in Kind.values:
        raise ServiceError(_("Kind: unknown kind “%(k)s”.") % {"k": data.kind}, field="kind")
    if data.urgency and data.urgency not in Urgency.values:
        raise ServiceError(_("Urgency: unknown urgency “%(u)s”.") % {"u": data.urgency}, field="urgency")
    kind = data.kind
    if data.category_code:
        category = Category.objects.filter(code=data.category_code, active=True, parent__isnull=False).first()
        if category is None:
            raise ServiceError(_("Category: unknown category “%(c)s”.") % {"c": data.category_code}, field="category")
    else:
        from .classifier import classify

        suggestion = classify(description)
        category = Category.objects.get(code=suggestion.categories[0][0])
        kind = kind or suggestion.kinds[0][0]
    return category, kind or Kind.HELP


def submit_case(
    actor: Any,
    data: Intake,
    *,
    photos: Sequence[UploadedFile] = (),
    idempotency_key: str = "",
    idempotency_scope: str = "",
    source: str = "",
) -> tuple[Case, bool]:
    """Take in a report. Returns (case, created): a retry with the same idempotency key returns the first case.

    `actor` is the logged-in user recording it (staff, steward, resident) or None for an anonymous report.
    `source` names what sent a report without a user (e.g. an integration's API key) for the timeline and audit.
    """
    scope = idempotency_scope or data.channel
    if idempotency_key and (existing := _idempotent_case(scope, idempotency_key)) is not None:
        return existing, False
    category, kind = _validate(data)
    check_photos(photos)
    grid, building = _route(data)
    owner = owner_for(grid)
    now = _now()
    urgency = data.urgency or (Urgency.URGENT if category.urgent else Urgency.NORMAL)
    phone = crypto.seal_phone(data.reporter_phone) if data.reporter_phone and not data.anonymous else crypto.EMPTY
    is_user = getattr(actor, "pk", None) is not None
    case = Case(
        tracking_code=_tracking_code(),
        kind=kind,
        category=category,
        description=data.description.strip(),
        channel=data.channel,
        urgency=urgency,
        lat=data.lat,
        lng=data.lng,
        address_text=(data.address_text or (building.address if building else "")).strip()[:200],
        building=building,
        grid=grid,
        community_id=grid.community_id if grid else None,
        reporter=actor if is_user and actor.role == Role.RESIDENT else None,
        reporter_name="" if data.anonymous else data.reporter_name.strip()[:50],
        reporter_phone_cipher=phone.cipher,
        reporter_phone_digest=phone.digest,
        reporter_phone_masked=phone.masked,
        reporter_email="" if data.anonymous else data.reporter_email.strip(),
        anonymous=data.anonymous,
        recorded_by=actor if is_user and actor.role != Role.RESIDENT else None,
        owner=owner,
        created_at=now,
        accept_due_at=calendar.due_at(now, category.accept_minutes, urgency == Urgency.URGENT),
    )
    try:
        with transaction.atomic():
            case.save(force_insert=True)
            if idempotency_key:
                IdempotencyKey.objects.create(scope=scope, key=idempotency_key, case=case)
            event = CaseEvent.objects.create(
                case=case,
                at=now,
                actor=actor if is_user else None,
                actor_label=_label(actor) if is_user or not source else source[:150],
                action="submit",
                to_status=Status.SUBMITTED,
                note=_("Report received via %(c)s.") % {"c": Channel(data.channel).label},
            )
            _attach(case, photos, event)
            notify(
                [owner],
                verb="case.new",
                text=_("New case %(code)s: %(d)s") % {"code": case.tracking_code, "d": case.description[:60]},
                url=f"/cases/{case.pk}/",
            )
            emit_event("case.submitted", _public(case))
            # Last before commit: the audit chain's head row is locked from here to the commit, and every
            # concurrent submission queues on it.
            record(actor if is_user else None, "cases.submit", case, after=_snapshot(case), reason=source)
    except IntegrityError:
        # A concurrent submission with the same idempotency key committed first (PostgreSQL: our insert waited
        # on the unique index until it did; SQLite: we waited for its write lock): theirs is the case.
        if idempotency_key and (existing := _idempotent_case(scope, idempotency_key)) is not None:
            return existing, False
        raise
    return case, True


def _idempotent_case(scope: str, key: str) -> Case | None:
    """The case an idempotency key already stands for (the key alone first: the miss is the common case)."""
    case_id = IdempotencyKey.objects.filter(scope=scope, key=key).values_list("case_id", flat=True).first()
    return None if case_id is None else Case.objects.select_related("category").get(pk=case_id)


def solve_on_the_spot(
    actor: Any, data: Intake, note: str, photos: Sequence[UploadedFile] = (), *, idempotency_key: str = ""
) -> Case:
    """就地解决: a worker or steward records a matter already fixed, in one step (submitted → closed)."""
    require(actor, "cases.record_case")
    if not note.strip():
        raise ServiceError(_("Note: say what was done."), field="note")
    check_photos(photos)
    case, created = submit_case(actor, data, photos=(), idempotency_key=idempotency_key)
    if not created:
        return case  # a retried form: the first submission already closed it
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if actor.role in (Role.GRID_WORKER, Role.GRID_LEADER) and case.grid_id == actor.grid_id:
            case.owner = actor  # the worker who fixed it owns it; a steward's fix stays with the grid worker
        now = _now()
        case.status = Status.CLOSED
        case.on_the_spot = True
        case.accepted_at = case.resolved_at = case.closed_at = now
        case.accepted_on_time = case.resolved_on_time = True
        case.resolve_due_at = now
        case.save()
        event = CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            actor_label=_label(actor),
            action=ON_THE_SPOT.name,
            from_status=Status.SUBMITTED,
            to_status=Status.CLOSED,
            note=note.strip(),
        )
        _attach(case, photos, event)
        record(
            actor,
            "cases.solve_on_the_spot",
            case,
            before={"status": Status.SUBMITTED},
            after={"status": Status.CLOSED},
            reason=note,
        )
    return case


# --- the loop ---------------------------------------------------------------------------------------------


def take_step(
    actor: Any,
    case: Case,
    step_name: str,
    note: str = "",
    *,
    photos: Sequence[UploadedFile] = (),
    responder: Responder | None = None,
    satisfaction: str = "",
    target: Case | None = None,
    _reporter_proof: bool = False,
) -> Case:
    """Take one step of the loop (see workflow.STEPS). Raises ServiceError or PermissionDenied.

    `_reporter_proof` is only for survey_case_by_reporter: the tracking code stands in for the permission.
    """
    step = STEPS.get(step_name)
    if step is None or (step.target is None and step.name != "survey"):
        raise ServiceError(_("Unknown step."))
    note = note.strip()
    check_photos(photos)
    with transaction.atomic():
        case = Case.objects.select_for_update(of=("self",)).select_related("category", "community").get(pk=case.pk)
        if case.status not in step.sources:
            raise ServiceError(
                _("This case is “%(s)s”: it cannot be “%(a)s” now.") % {"s": Status(case.status).label, "a": step.label}
            )
        if not (_reporter_proof and step.name == "survey"):
            require(actor, f"cases.{step.name}", case)
        if step.needs_note and not note:
            raise ServiceError(_("Note: please give a reason or say what was done."), field="note")
        before = _snapshot(case)
        now = _now()
        urgent = case.urgency == Urgency.URGENT
        to_notify: list[Any] = []
        new_status = step.target

        if step.name == "accept":
            case.accepted_at = now
            case.accepted_on_time = case.accept_due_at is None or now <= case.accept_due_at
            case.resolve_due_at = calendar.due_at(now, case.category.resolve_minutes, urgent)
            case.warned_at = None
        elif step.name == "reject":
            case.closed_at = now
        elif step.name == "dispatch":
            unit = responder or default_responder(case)
            if unit is None:
                raise ServiceError(_("Responder: no responder unit serves this area; choose one."), field="responder")
            case.responder = unit
            case.dispatched_at = now
            to_notify += list(unit.users.filter(is_active=True))
        elif step.name == "handle_ourselves":
            case.responder = None
            case.dispatched_at = case.acknowledged_at = now
        elif step.name == "acknowledge":
            case.acknowledged_at = now
        elif step.name == "return":
            case.responder = None
            case.return_count += 1
            to_notify.append(case.owner)
        elif step.name == "resolve":
            case.resolved_at = now
            case.resolved_on_time = case.resolve_due_at is None or now <= case.resolve_due_at
            to_notify.append(case.owner)
        elif step.name == "rework":
            case.rework_count += 1
            case.resolved_at = None
            case.resolved_on_time = None
            if case.responder_id:
                to_notify += list(case.responder.users.filter(is_active=True))  # type: ignore[union-attr]
        elif step.name == "close":
            case.closed_at = now
        elif step.name == "survey":
            if satisfaction not in Satisfaction.values:
                raise ServiceError(
                    _("Rating: choose satisfied, basically satisfied or unsatisfied."), field="satisfaction"
                )
            case.satisfaction = satisfaction
            case.surveyed_at = now
            if satisfaction == Satisfaction.UNSATISFIED:
                # 重办: back to work with a fresh limit.
                new_status = Status.IN_PROGRESS
                case.redo_count += 1
                case.closed_at = None
                case.resolved_at = None
                case.resolved_on_time = None
                case.resolve_due_at = calendar.due_at(now, case.category.resolve_minutes, urgent)
                case.warned_at = None
                to_notify.append(case.owner)
            else:
                new_status = Status.SURVEYED
        elif step.name == "park":
            case.parked_reason = note
        elif step.name == "unpark":
            case.parked_reason = ""
            case.responder = None
            case.resolve_due_at = calendar.due_at(now, case.category.resolve_minutes, urgent)
            case.warned_at = None
        elif step.name == "merge":
            if target is None or target.pk == case.pk:
                raise ServiceError(_("Merge: choose the case to merge into."), field="target")
            if target.status in (Status.MERGED, Status.REJECTED):
                raise ServiceError(_("Merge: the surviving case must be a live case."), field="target")
            case.merged_into = target
        assert new_status is not None
        case.status = new_status
        _refresh_flags(case, now)
        case.save()
        event = CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            actor_label=_label(actor),
            action=step.name,
            from_status=before["status"],
            to_status=case.status,
            note=note,
            public=step.public,
        )
        _attach(case, photos, event)
        if step.name == "merge" and target is not None:
            CaseEvent.objects.create(
                case=target,
                at=now,
                actor=actor,
                actor_label=_label(actor),
                action="merged_in",
                from_status=target.status,
                to_status=target.status,
                note=_("Case %(c)s (same matter) was merged into this one; its reporter follows this case.")
                % {"c": case.tracking_code},
            )
        record(actor, f"cases.{step.name}", case, before=before, after=_snapshot(case), reason=note)
        notify(
            [u for u in to_notify if u is not None and u != actor],
            verb=f"case.{step.name}",
            text=_("Case %(code)s: %(step)s") % {"code": case.tracking_code, "step": step.label},
            url=f"/cases/{case.pk}/",
        )
        emit_event(f"case.{step.name}", _public(case))
    return case


def survey_case_by_reporter(tracking_code: str, satisfaction: str, comment: str = "") -> Case:
    """The reporter rates a closed case on the public tracking page.

    Holding the tracking code is the reporter's proof, so no account or permission is asked for; the timeline
    and the audit trail record the rating with no actor (action `cases.survey`).
    """
    from .selectors import case_by_tracking_code

    case = case_by_tracking_code(tracking_code)
    if case is None:
        raise ServiceError(_("Tracking code: no report has this code."), field="code")
    return take_step(None, case, "survey", comment, satisfaction=satisfaction, _reporter_proof=True)


def default_responder(case: Case) -> Responder | None:
    """The unit of the category's responder type that serves the case's grid (most specific first)."""
    if case.grid is None or not case.category.responder_kind:
        return None
    units = list(responders_serving(case.grid, case.category.responder_kind).prefetch_related("grids", "communities"))
    units.sort(key=lambda u: (0 if u.grids.all() else 1 if u.communities.all() else 2, u.pk))
    return units[0] if units else None


def request_extension(actor: Any, case: Case, extra_minutes: int, reason: str) -> ExtensionRequest:
    with transaction.atomic():
        # Locked and read again: the status and the "one pending request" rule must hold at the moment of writing,
        # not when the caller loaded the case (two clicks would otherwise make two pending requests).
        case = Case.objects.select_for_update(of=("self",)).select_related("community").get(pk=case.pk)
        require(actor, "cases.request_extension", case)
        if case.status not in STEPS["request_extension"].sources:
            raise ServiceError(_("Only a case being handled can be extended."))
        if not 30 <= extra_minutes <= 60 * 24 * 30:
            raise ServiceError(_("Extra time: between 30 minutes and 30 days."), field="extra_minutes")
        if not reason.strip():
            raise ServiceError(_("Reason: say why more time is needed."), field="reason")
        if case.extensions.filter(status=ExtensionStatus.PENDING).exists():
            raise ServiceError(_("An extension request is already waiting for a decision."))
        req = ExtensionRequest.objects.create(
            case=case, requested_by=actor, extra_minutes=extra_minutes, reason=reason.strip()
        )
        CaseEvent.objects.create(
            case=case,
            at=_now(),
            actor=actor,
            actor_label=_label(actor),
            action="request_extension",
            from_status=case.status,
            to_status=case.status,
            note=reason.strip(),
            public=False,
        )
        record(actor, "cases.request_extension", case, after={"extra_minutes": extra_minutes}, reason=reason)
        supervisors = User.objects.filter(role=Role.COMMUNITY_STAFF, community=case.community, is_active=True)
        notify(
            supervisors,
            verb="case.extension",
            text=_("Case %(c)s: extension requested") % {"c": case.tracking_code},
            url=f"/cases/{case.pk}/",
        )
    return req


def decide_extension(actor: Any, req: ExtensionRequest, approve: bool, note: str = "") -> ExtensionRequest:
    with transaction.atomic():
        # The case first, then the request: the same order as request_extension, so the two never deadlock.
        case = Case.objects.select_for_update(of=("self",)).select_related("community").get(pk=req.case_id)
        req = ExtensionRequest.objects.select_for_update().get(pk=req.pk)
        require(actor, "cases.approve_extension", case)
        if req.status != ExtensionStatus.PENDING:
            raise ServiceError(_("This extension request has already been decided."))
        if approve and case.status not in RUNNING[1:]:
            # More time only makes sense while the resolve limit runs; once resolved (or parked) it is moot.
            raise ServiceError(_("This case is no longer being handled: the extension can only be refused."))
        now = _now()
        req.status = ExtensionStatus.APPROVED if approve else ExtensionStatus.REJECTED
        req.decided_by, req.decided_at = actor, now
        req.save()
        before = _snapshot(case)
        if approve:
            base = max(case.resolve_due_at or now, now)
            case.resolve_due_at = calendar.due_at(base, req.extra_minutes, case.urgency == Urgency.URGENT)
            case.extension_count += 1
            case.warned_at = None
            _refresh_flags(case, now)
            case.save()
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            actor_label=_label(actor),
            action="extension_approved" if approve else "extension_rejected",
            from_status=case.status,
            to_status=case.status,
            note=note.strip(),
            public=False,
        )
        record(actor, "cases.decide_extension", case, before=before, after=_snapshot(case), reason=note)
        notify(
            [req.requested_by],
            verb="case.extension_decided",
            text=_("Case %(c)s: extension %(d)s") % {"c": case.tracking_code, "d": req.get_status_display()},
            url=f"/cases/{case.pk}/",
        )
    return req


def blow_whistle(
    actor: Any, case: Case, responders: Iterable[Responder], note: str, limit_minutes: int = 30
) -> Whistle:
    """吹哨报到: summon several units to one case; each must report within `limit_minutes`."""
    require(actor, "cases.whistle", case)
    if case.status not in STEPS["whistle"].sources:
        raise ServiceError(_("This case is “%(s)s”: the whistle is for open cases.") % {"s": Status(case.status).label})
    units = list(responders)
    if len(units) < 1:
        raise ServiceError(_("Units: choose at least one unit to summon."), field="responders")
    if not note.strip():
        raise ServiceError(_("Note: say what the units are summoned for."), field="note")
    if not 5 <= limit_minutes <= 24 * 60:
        raise ServiceError(_("Limit: between 5 minutes and 24 hours."), field="limit_minutes")
    with transaction.atomic():
        now = _now()
        whistle = Whistle.objects.create(
            case=case, blown_by=actor, blown_at=now, limit_minutes=limit_minutes, note=note.strip()
        )
        WhistleSummons.objects.bulk_create([WhistleSummons(whistle=whistle, responder=u) for u in units])
        CaseEvent.objects.create(
            case=case,
            at=now,
            actor=actor,
            actor_label=_label(actor),
            action="whistle",
            from_status=case.status,
            to_status=case.status,
            note=note.strip() + " → " + "、".join(u.name for u in units),
            public=False,
        )
        record(
            actor,
            "cases.whistle",
            case,
            after={"units": [u.pk for u in units], "limit_minutes": limit_minutes},
            reason=note,
        )
        notify(
            User.objects.filter(responder__in=units, is_active=True),
            verb="case.whistle",
            text=_("Whistle: report to case %(c)s within %(m)d minutes")
            % {"c": case.tracking_code, "m": limit_minutes},
            url=f"/cases/{case.pk}/",
        )
        emit_event("case.whistle", _public(case) | {"units": [u.name for u in units]})
    return whistle


def report_to_whistle(actor: Any, summons: WhistleSummons, note: str = "") -> WhistleSummons:
    require(actor, "cases.report_to_whistle")
    if actor.responder_id != summons.responder_id:
        raise ServiceError(_("Only the summoned unit can report."))
    with transaction.atomic():
        summons = WhistleSummons.objects.select_for_update().select_related("whistle__case").get(pk=summons.pk)
        if summons.reported_at is not None:
            return summons
        summons.reported_at, summons.reported_by, summons.note = _now(), actor, note.strip()
        summons.save()
        case = summons.whistle.case
        CaseEvent.objects.create(
            case=case,
            at=summons.reported_at,
            actor=actor,
            actor_label=_label(actor),
            action="whistle_report",
            from_status=case.status,
            to_status=case.status,
            note=note.strip(),
            public=False,
        )
        record(actor, "cases.report_to_whistle", case, after={"responder": summons.responder_id})
    return summons


# --- time limits --------------------------------------------------------------------------------------------


def _refresh_flags(case: Case, now: datetime) -> None:
    """Keep `overdue` true exactly when the limit that currently runs has passed."""
    due = current_due(case)
    case.overdue = due is not None and now > due
    if not case.overdue:
        case.escalation_level = 0


def current_due(case: Case) -> datetime | None:
    """The limit that runs in this state: accepting while submitted, resolving while being handled."""
    if case.status == Status.SUBMITTED:
        return case.accept_due_at
    if case.status in (Status.ACCEPTED, Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS):
        return case.resolve_due_at
    return None


def _limit_minutes(case: Case) -> int:
    """The category's length of the limit that runs now (accepting while submitted, else resolving)."""
    return case.category.accept_minutes if case.status == Status.SUBMITTED else case.category.resolve_minutes


def _minutes(a: datetime, b: datetime, urgent: bool, days: Any) -> float:
    """Minutes from a to b of the time that counts for the case: the clock when urgent, else working time."""
    if urgent:
        return max((b - a).total_seconds() / 60, 0.0)
    return calendar.working_minutes_between(a, b, days)


WARN_PERCENT = 80  # warn when 80 % of the limit has passed (20 % of it remains); integer, so 12 of 60 is exact
RUNNING = (Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS)


def check_deadlines(now: datetime | None = None) -> dict[str, int]:
    """Periodic: warn at 80 % of a limit, flag overdue, escalate grid → community → street.

    Level 1 (community) as soon as the running limit has passed; level 2 (street) once the case is late by a
    second full limit. Both are measured from the deadline itself, in the case's own time (working or clock), so
    a limit that was restarted (redo, unpark) or extended is judged by its current deadline. Each warning and each
    escalation notifies once: the flags it sets are what the next run compares against.
    """
    now = now or _now()
    days = calendar.overrides()
    counts = {"warned": 0, "overdue": 0, "escalated": 0}
    due_passed = Q(status=Status.SUBMITTED, accept_due_at__lt=now) | Q(status__in=RUNNING[1:], resolve_due_at__lt=now)
    candidates = (
        Case.objects.filter(status__in=RUNNING)
        .filter(Q(warned_at__isnull=True) | due_passed)  # warned and not yet due: nothing to do
        .exclude(overdue=True, escalation_level__gte=2)  # already at the street: nothing more to do
        .select_related("community", "owner", "category")
        .order_by("pk")
    )
    for case in candidates.iterator(chunk_size=500):
        due = current_due(case)
        if due is None:
            continue
        urgent = case.urgency == Urgency.URGENT
        limit = _limit_minutes(case)
        before = (case.overdue, case.escalation_level, case.warned_at)
        escalated = warned = False
        if now > due:
            level = 2 if _minutes(due, now, urgent, days) >= limit else 1
            if not case.overdue or level > case.escalation_level:
                escalated = max(level, case.escalation_level) > case.escalation_level
                case.overdue = True
                case.escalation_level = max(level, case.escalation_level)
        elif case.warned_at is None and _minutes(now, due, urgent, days) * 100 <= (100 - WARN_PERCENT) * limit:
            case.warned_at, warned = now, True
        if (case.overdue, case.escalation_level, case.warned_at) == before:
            continue
        with transaction.atomic():
            # Only if nobody changed the case since it was read: a step taken meanwhile (say, the case was just
            # resolved) has already set the flags right for the new state, and must not be overwritten.
            updated = Case.objects.filter(
                pk=case.pk,
                status=case.status,
                accept_due_at=case.accept_due_at,
                resolve_due_at=case.resolve_due_at,
                overdue=before[0],
                escalation_level=before[1],
                warned_at=before[2],
            ).update(overdue=case.overdue, escalation_level=case.escalation_level, warned_at=case.warned_at)
            if not updated:
                continue
            if escalated:
                counts["escalated"] += 1
                _notify_escalation(case)
            if case.overdue and not before[0]:
                counts["overdue"] += 1
            if warned:
                counts["warned"] += 1
                notify(
                    [case.owner],
                    verb="case.warning",
                    text=_("Case %(c)s is close to its time limit.") % {"c": case.tracking_code},
                    url=f"/cases/{case.pk}/",
                )
            record(
                None,
                "cases.deadline_check",
                case,
                before={"overdue": before[0], "escalation_level": before[1]},
                after={"overdue": case.overdue, "escalation_level": case.escalation_level, "warned": bool(warned)},
            )
    return counts


def _notify_escalation(case: Case) -> None:
    if case.escalation_level >= 2 and case.community is not None:
        users = User.objects.filter(role=Role.STREET_ADMIN, street_id=case.community.street_id, is_active=True)
    else:
        users = User.objects.filter(role=Role.COMMUNITY_STAFF, community=case.community, is_active=True)
    notify(
        [*list(users), case.owner],
        verb="case.overdue",
        text=_("Case %(c)s is overdue (escalated).") % {"c": case.tracking_code},
        url=f"/cases/{case.pk}/",
    )


# --- helpers ------------------------------------------------------------------------------------------------


def _label(actor: Any) -> str:
    return str(actor) if getattr(actor, "pk", None) else "public"


def _snapshot(case: Case) -> dict[str, Any]:
    return {
        "status": case.status,
        "owner": case.owner_id,
        "responder": case.responder_id,
        "overdue": case.overdue,
        "resolve_due_at": case.resolve_due_at.isoformat() if case.resolve_due_at else None,
    }


def _public(case: Case) -> dict[str, Any]:
    """What integrations receive: no reporter data."""
    return {
        "tracking_code": case.tracking_code,
        "status": case.status,
        "category": case.category.code,
        "kind": case.kind,
        "grid": case.grid.code if case.grid else None,
        "lat": case.lat,
        "long": case.lng,
        "updated_at": _now().isoformat(),
    }


def update_calendar_day(actor: Any, day: Any, is_workday: bool | None, note: str = "") -> None:
    """Street admins edit the working calendar (None removes the exception)."""
    from .models import CalendarDay

    require(actor, "cases.manage_calendar")
    note = note.strip()
    if len(note) > 50:
        raise ServiceError(field_message(_("Note"), _("at most 50 characters.")), field="note")
    with transaction.atomic():
        if is_workday is None:
            CalendarDay.objects.filter(date=day).delete()
        else:
            CalendarDay.objects.update_or_create(date=day, defaults={"is_workday": is_workday, "note": note})
        record(
            actor,
            "cases.update_calendar",
            None,
            target_type="cases.calendarday",
            target_id=str(day),
            after={"is_workday": is_workday, "note": note},
        )
        transaction.on_commit(calendar.invalidate)


def _limit(value: int | str | None, label: str, field: str) -> int:
    """A time limit in minutes: a whole number above zero."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        number = 0
    if number <= 0:
        raise ServiceError(field_message(label, _("enter a whole number of minutes above zero.")), field=field)
    return number


def _check_category_fields(
    *,
    name_zh: str,
    name_en: str,
    responder_kind: str,
    accept_minutes: int | str | None,
    resolve_minutes: int | str | None,
    description: str,
) -> dict[str, Any]:
    from civicgrid.responders.choices import ResponderKind

    name_zh, name_en, description = name_zh.strip(), name_en.strip(), description.strip()
    if not name_zh:
        raise ServiceError(field_message(_("Chinese name"), _("this field is required.")), field="name_zh")
    if len(name_zh) > 50:
        raise ServiceError(field_message(_("Chinese name"), _("at most 50 characters.")), field="name_zh")
    if not name_en:
        raise ServiceError(field_message(_("English name"), _("this field is required.")), field="name_en")
    if len(name_en) > 80:
        raise ServiceError(field_message(_("English name"), _("at most 80 characters.")), field="name_en")
    if len(description) > 200:
        raise ServiceError(
            field_message(pgettext("case category", "Description"), _("at most 200 characters.")), field="description"
        )
    if responder_kind and responder_kind not in ResponderKind.values:
        raise ServiceError(
            field_message(_("Default responder type"), _("choose one of the listed types.")), field="responder_kind"
        )
    accept = _limit(accept_minutes, _("Accept within (minutes)"), "accept_minutes")
    resolve = _limit(resolve_minutes, _("Resolve within (minutes)"), "resolve_minutes")
    if accept > resolve:
        raise ServiceError(
            field_message(_("Accept within (minutes)"), _("cannot be longer than the time to resolve.")),
            field="accept_minutes",
        )
    return {
        "name_zh": name_zh,
        "name_en": name_en,
        "responder_kind": responder_kind,
        "accept_minutes": accept,
        "resolve_minutes": resolve,
        "description": description,
    }


CATEGORY_FIELDS = (
    "name_zh",
    "name_en",
    "responder_kind",
    "accept_minutes",
    "resolve_minutes",
    "urgent",
    "active",
    "description",
)


def _category_state(category: Category) -> dict[str, Any]:
    return {f: getattr(category, f) for f in ("code", *CATEGORY_FIELDS)}


def update_category(
    actor: Any,
    category: Category,
    *,
    name_zh: str,
    name_en: str,
    responder_kind: str,
    accept_minutes: int | str | None,
    resolve_minutes: int | str | None,
    urgent: bool,
    active: bool,
    description: str = "",
) -> Category:
    """Street admins edit a category of the taxonomy: its names, default responder type and time limits.

    New limits apply to cases submitted afterwards; running cases keep the deadlines they were given.
    """
    require(actor, "cases.manage_categories")
    values = _check_category_fields(
        name_zh=name_zh,
        name_en=name_en,
        responder_kind=responder_kind,
        accept_minutes=accept_minutes,
        resolve_minutes=resolve_minutes,
        description=description,
    )
    values.update(urgent=bool(urgent), active=bool(active))
    with transaction.atomic():
        category = Category.objects.select_for_update().get(pk=category.pk)
        before = _category_state(category)
        for name, value in values.items():
            setattr(category, name, value)
        category.save(update_fields=list(values))
        record(actor, "cases.update_category", category, before=before, after=_category_state(category))
    return category


def create_category(
    actor: Any,
    parent: Category,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    responder_kind: str,
    accept_minutes: int | str | None,
    resolve_minutes: int | str | None,
    urgent: bool = False,
    active: bool = True,
    description: str = "",
) -> Category:
    """Street admins add a leaf category under a top-level one; its code extends the parent's (0101 under 01)."""
    require(actor, "cases.manage_categories")
    code = code.strip()
    if parent.parent_id is not None:
        raise ServiceError(
            field_message(pgettext("case category", "Parent"), _("choose a top-level category.")), field="parent"
        )
    if not code.isdigit() or len(code) > 10 or not code.startswith(parent.code) or code == parent.code:
        raise ServiceError(
            field_message(_("Code"), _("digits starting with the parent's code %(code)s.") % {"code": parent.code}),
            field="code",
        )
    values = _check_category_fields(
        name_zh=name_zh,
        name_en=name_en,
        responder_kind=responder_kind,
        accept_minutes=accept_minutes,
        resolve_minutes=resolve_minutes,
        description=description,
    )
    with transaction.atomic():
        if Category.objects.filter(code=code).exists():
            raise ServiceError(field_message(_("Code"), _("this code is already used.")), field="code")
        try:
            with transaction.atomic():
                category = Category.objects.create(
                    parent=parent, code=code, urgent=bool(urgent), active=bool(active), **values
                )
        except IntegrityError:  # two admins adding the same code at once
            raise ServiceError(field_message(_("Code"), _("this code is already used.")), field="code") from None
        record(actor, "cases.create_category", category, after=_category_state(category))
    return category


def overdue_since(case: Case, now: datetime | None = None) -> timedelta | None:
    due = current_due(case)
    now = now or _now()
    return now - due if due and now > due else None
