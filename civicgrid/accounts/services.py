"""Every change to accounts: staff accounts made by superiors, resident self-registration, household links."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Community, Grid
from civicgrid.audit.services import record
from civicgrid.core import crypto
from civicgrid.core.errors import NotAllowed, ServiceError, field_message, require
from civicgrid.core.validators import phone_error

from .choices import GRID_ROLES, LinkStatus, Role
from .models import HouseholdLinkRequest, User
from .selectors import users_for


def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ServiceError(field_message(_("Password"), " ".join(exc.messages)), field="password") from exc


def _set_phone(user: User, phone: str) -> None:
    sealed = crypto.seal_phone(phone)
    user.phone_cipher, user.phone_digest, user.phone_masked = sealed.cipher, sealed.digest, sealed.masked


def create_user(
    actor: Any,
    *,
    username: str,
    display_name: str,
    role: str,
    password: str,
    phone: str = "",
    community: Community | None = None,
    grid: Grid | None = None,
    responder: Any = None,
) -> User:
    """A superior creates a staff, steward, responder or merchant account inside their own area."""
    require(actor, "accounts.manage_users", role)
    if User.objects.filter(username=username).exists():
        raise ServiceError(_("Username “%(u)s” is already taken.") % {"u": username}, field="username")
    if phone and (err := phone_error(phone)):
        raise ServiceError(field_message(_("Phone"), err), field="phone")
    if phone and User.objects.filter(phone_digest=crypto.digest(phone)).exists():
        # Residents log in with their phone number: a second account on the same number would make it ambiguous.
        raise ServiceError(_("Phone: another account already uses this number."), field="phone")
    if role in GRID_ROLES and grid is None:
        raise ServiceError(_("Grid: a grid role needs a grid."), field="grid")
    if role == Role.COMMUNITY_STAFF and community is None:
        raise ServiceError(_("Community: community staff need a community."), field="community")
    if role == Role.RESPONDER and responder is None:
        raise ServiceError(_("Responder unit: a responder account needs its unit."), field="responder")
    if grid is not None:
        community = grid.community
    street_id = community.street_id if community is not None else actor.street_id
    if not actor.is_superuser:
        # The new account must sit inside the creator's own area.
        if actor.role == Role.COMMUNITY_STAFF and (community is None or community.id != actor.community_id):
            raise ServiceError(_("Community: you can only create accounts in your own community."), field="community")
        if street_id != actor.street_id:
            raise ServiceError(_("You can only create accounts in your own street."), field="community")
    user = User(username=username, display_name=display_name, role=role, street_id=street_id)
    user.community = community if role != Role.STREET_ADMIN else None
    user.grid = grid if role in GRID_ROLES else None
    user.responder = responder if role == Role.RESPONDER else None
    _check_password(password, user)
    user.set_password(password)
    if phone:
        _set_phone(user, phone)
    with transaction.atomic():
        user.save()
        record(
            actor, "accounts.create_user", user, after={"username": username, "role": role, "area": user.scope_label}
        )
    return user


def set_user_active(actor: Any, user: User, active: bool) -> User:
    require(actor, "accounts.manage_users", user.role)
    if not users_for(actor).filter(pk=user.pk).exists():
        # The rule above checks the role only; the account must also be inside the actor's own area.
        raise NotAllowed("accounts.manage_users")
    with transaction.atomic():
        before = user.is_active
        user.is_active = active
        user.save(update_fields=["is_active"])
        record(actor, "accounts.set_active", user, before={"is_active": before}, after={"is_active": active})
    return user


def register_resident(*, phone: str, password: str, display_name: str) -> User:
    """A resident signs up with a phone number and a password. The phone is their login; it is stored encrypted."""
    if err := phone_error(phone):
        raise ServiceError(field_message(_("Phone number"), err), field="phone")
    if not display_name.strip():
        raise ServiceError(_("Name: please enter your name."), field="display_name")
    digest = crypto.digest(phone)
    if User.objects.filter(phone_digest=digest).exists():
        raise ServiceError(_("Phone number: an account with this number already exists; please log in."), field="phone")
    user = User(username=f"r_{digest[:20]}", display_name=display_name.strip(), role=Role.RESIDENT)
    _set_phone(user, phone)
    _check_password(password, user)
    user.set_password(password)
    with transaction.atomic():
        user.save()
        record(user, "accounts.register_resident", user, after={"phone": user.phone_masked})
    return user


def request_household_link(
    actor: Any, *, community: Community, address_text: str, name_given: str
) -> HouseholdLinkRequest:
    require(actor, "accounts.request_household_link")
    if not address_text.strip():
        raise ServiceError(_("Address: please enter your building and room."), field="address_text")
    if not name_given.strip():
        raise ServiceError(_("Name: please enter the name registered for the household."), field="name_given")
    if HouseholdLinkRequest.objects.filter(user=actor, status=LinkStatus.PENDING).exists():
        raise ServiceError(_("You already have a request waiting for confirmation."))
    with transaction.atomic():
        req = HouseholdLinkRequest.objects.create(
            user=actor, community=community, address_text=address_text.strip(), name_given=name_given.strip()
        )
        record(
            actor,
            "accounts.request_household_link",
            req,
            after={"community": community.name, "address": req.address_text},
        )
    return req


def decide_link_request(
    actor: Any, req: HouseholdLinkRequest, *, approve: bool, household: Any = None, note: str = ""
) -> HouseholdLinkRequest:
    """Community staff confirm (with the household they found) or reject a resident's link request."""
    require(actor, "accounts.decide_link_request", req)
    if req.status != LinkStatus.PENDING:
        raise ServiceError(_("This request has already been decided."))
    if approve:
        if household is None:
            raise ServiceError(_("Household: choose the household to link."), field="household")
        if household.grid.community_id != req.community_id:
            raise ServiceError(_("Household: it is not in the community the resident named."), field="household")
    elif not note.strip():
        raise ServiceError(_("Reason: say why the request is rejected."), field="note")
    with transaction.atomic():
        req.status = LinkStatus.APPROVED if approve else LinkStatus.REJECTED
        req.household = household if approve else None
        req.decided_by, req.decided_at, req.note = actor, timezone.now(), note.strip()
        req.save()
        if approve:
            req.user.household = household
            req.user.save(update_fields=["household"])
        record(
            actor,
            "accounts.decide_household_link",
            req,
            before={"status": LinkStatus.PENDING},
            after={"status": req.status, "household": household.code if approve else None},
            reason=note,
        )
    return req
