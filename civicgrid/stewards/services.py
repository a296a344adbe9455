"""The steward programme: apply, select, train (with attendance), activate for a grid, retire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.accounts.choices import Role
from civicgrid.areas.models import Community, Grid
from civicgrid.audit.services import record
from civicgrid.core.errors import ServiceError, require

from .models import ApplicationStatus, StewardApplication, TrainingAttendance, TrainingSession


def _in_area(actor: Any, community: Community) -> None:
    if actor.is_superuser:
        return
    if actor.role == Role.COMMUNITY_STAFF and actor.community_id != community.pk:
        raise ServiceError(_("Community: you can only manage stewards of your own community."), field="community")
    if actor.role == Role.STREET_ADMIN and actor.street_id != community.street_id:
        raise ServiceError(_("Community: outside your street."), field="community")


def apply(
    actor: Any, community: Community, *, motivation: str, skills: str = "", grid: Grid | None = None
) -> StewardApplication:
    require(actor, "stewards.apply")
    if not motivation.strip():
        raise ServiceError(_("Motivation: tell us why you want to be a steward."), field="motivation")
    if grid is not None and grid.community_id != community.pk:
        raise ServiceError(_("Grid: choose a grid of the community."), field="grid")
    if StewardApplication.objects.filter(
        applicant=actor, status__in=[ApplicationStatus.APPLIED, ApplicationStatus.SELECTED]
    ).exists():
        raise ServiceError(_("You already have an application in progress."))
    with transaction.atomic():
        app = StewardApplication.objects.create(
            applicant=actor, community=community, grid=grid, motivation=motivation.strip(), skills=skills.strip()
        )
        record(actor, "stewards.apply", app, after={"community": community.name})
    return app


def decide(actor: Any, app: StewardApplication, *, select: bool, note: str = "") -> StewardApplication:
    require(actor, "stewards.manage_programme")
    _in_area(actor, app.community)
    if app.status != ApplicationStatus.APPLIED:
        raise ServiceError(_("This application has already been decided."))
    if not select and not note.strip():
        raise ServiceError(_("Reason: say why the applicant is not selected."), field="note")
    with transaction.atomic():
        app.status = ApplicationStatus.SELECTED if select else ApplicationStatus.REJECTED
        app.decided_by, app.decided_at, app.note = actor, timezone.now(), note.strip()
        app.save()
        record(
            actor,
            "stewards.decide",
            app,
            before={"status": ApplicationStatus.APPLIED},
            after={"status": app.status},
            reason=note,
        )
    return app


def record_training(
    actor: Any,
    community: Community,
    *,
    title: str,
    held_at: datetime,
    minutes: int,
    trainer: str = "",
    attended: list[StewardApplication],
) -> TrainingSession:
    require(actor, "stewards.manage_programme")
    _in_area(actor, community)
    if not title.strip():
        raise ServiceError(_("Title: name the training."), field="title")
    if not 15 <= minutes <= 8 * 60:
        raise ServiceError(_("Length: between 15 minutes and 8 hours."), field="minutes")
    if any(a.community_id != community.pk for a in attended):
        raise ServiceError(_("Attendance: only applicants of this community."), field="attended")
    with transaction.atomic():
        session = TrainingSession.objects.create(
            community=community, title=title.strip(), held_at=held_at, minutes=minutes, trainer=trainer.strip()
        )
        TrainingAttendance.objects.bulk_create([TrainingAttendance(session=session, application=a) for a in attended])
        record(actor, "stewards.record_training", session, after={"attended": len(attended), "minutes": minutes})
    return session


def activate(actor: Any, app: StewardApplication, grid: Grid) -> StewardApplication:
    """Make a trained applicant a steward of a grid: their account gets the steward role and the grid."""
    require(actor, "stewards.manage_programme")
    _in_area(actor, app.community)
    if app.status != ApplicationStatus.SELECTED:
        raise ServiceError(_("Only a selected applicant can be activated."))
    if grid.community_id != app.community_id:
        raise ServiceError(_("Grid: choose a grid of the applicant's community."), field="grid")
    if not app.attendance.filter(attended=True).exists():
        raise ServiceError(_("The applicant has not attended any training yet."))
    with transaction.atomic():
        user = app.applicant
        before = {"role": user.role, "grid": user.grid_id}
        user.role, user.grid, user.community, user.street_id = (
            Role.STEWARD,
            grid,
            grid.community,
            grid.community.street_id,
        )
        user.save(update_fields=["role", "grid", "community", "street"])
        app.status, app.grid = ApplicationStatus.ACTIVE, grid
        app.save(update_fields=["status", "grid"])
        record(actor, "stewards.activate", user, before=before, after={"role": Role.STEWARD, "grid": grid.pk})
    return app
