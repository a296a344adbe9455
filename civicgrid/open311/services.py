"""Issuing and revoking API keys (audited), noting when a key is used, and taking in Open311 requests."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.areas.models import Street
from civicgrid.audit.services import record
from civicgrid.cases.choices import Channel, Kind, Urgency
from civicgrid.cases.models import Case
from civicgrid.cases.services import MAX_DESCRIPTION, Intake, submit_case
from civicgrid.core.errors import ServiceError, require

from .georeport import GeoReportError
from .models import ApiKey, RequestMedia, hash_key
from .resources import service_categories

KEY_PREFIX = "cg_"
SHOWN_CHARS = 10  # "cg_" and 7 random characters: enough to tell keys apart, far too few to guess the rest
LAST_USED_RESOLUTION = timedelta(minutes=1)


def new_plain_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)  # 256 random bits


def create_api_key(actor: Any, name: str, street: Street | None = None) -> tuple[ApiKey, str]:
    """Issue a key for the actor's street. Returns (key, plain key): the plain key is never stored or shown again.

    `actor` None is the system (the `create_api_key` command), which must name the street.
    """
    if actor is not None:
        require(actor, "open311.manage_api_keys")
        if street is None:
            street = actor.street
        elif not actor.is_superuser and street.pk != actor.street_id:
            raise ServiceError(_("Street: you can only issue keys for your own street."), field="street")
    name = name.strip()
    if not name:
        raise ServiceError(_("Name: say which integration will use the key."), field="name")
    if len(name) > 100:
        raise ServiceError(_("Name: at most 100 characters."), field="name")
    if street is None:
        raise ServiceError(_("Street: a key belongs to a street; choose one."), field="street")
    plain = new_plain_key()
    with transaction.atomic():
        key = ApiKey.objects.create(
            street=street,
            name=name,
            prefix=plain[:SHOWN_CHARS],
            key_hash=hash_key(plain),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        record(actor, "open311.create_api_key", key, after={"name": name, "prefix": key.prefix, "street": street.pk})
    return key, plain


def revoke_api_key(actor: Any, key: ApiKey, reason: str = "") -> ApiKey:
    """Revoke a key at once: the next request made with it is refused. Revoking twice changes nothing."""
    if actor is not None:
        require(actor, "open311.manage_api_keys")
        if not actor.is_superuser and key.street_id != actor.street_id:
            raise ServiceError(_("This key belongs to another street."))
    with transaction.atomic():
        key = ApiKey.objects.select_for_update().get(pk=key.pk)
        if key.revoked_at is not None:
            return key
        key.revoked_at = timezone.now()
        key.revoked_by = actor if getattr(actor, "pk", None) else None
        key.save(update_fields=["revoked_at", "revoked_by"])
        record(
            actor,
            "open311.revoke_api_key",
            key,
            before={"revoked_at": None},
            after={"revoked_at": key.revoked_at.isoformat()},
            reason=reason,
        )
    return key


def note_key_used(key: ApiKey) -> None:
    """Keep `last_used_at` to the minute: one small write per key per minute, not one per request."""
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now


# --- Open311 POST requests ------------------------------------------------------------------------------------

MAX_IDEMPOTENCY_KEY = 128
_validate_url = URLValidator(schemes=["http", "https"])


@dataclass
class Submitted:
    case: Case
    created: bool
    account_id: str | None


def _float(name: str, value: str, lo: float, hi: float, errors: list[str]) -> float | None:
    try:
        number = float(value)
    except ValueError:
        errors.append(_("%(f)s: “%(v)s” is not a number.") % {"f": name, "v": value[:30]})
        return None
    if not math.isfinite(number) or not lo <= number <= hi:
        errors.append(_("%(f)s: must be between %(lo)g and %(hi)g.") % {"f": name, "lo": lo, "hi": hi})
        return None
    return number


def _reporter_name(first: str, last: str) -> str:
    first, last = first.strip(), last.strip()
    if (first + last).isascii():
        return f"{first} {last}".strip()
    return last + first  # 姓 + 名


def submit_request(key: ApiKey, params: Any, *, idempotency_key: str = "") -> Submitted:
    """POST requests: check the spec's arguments, then take the case in through `submit_case` (channel Open311).

    A retry with the same `Idempotency-Key` header or `attribute[client_id]` (per API key) returns the first case.
    Raises GeoReportError with every problem found (400), or 404 for an unknown service_code.
    """

    def arg(name: str) -> str:
        return str(params.get(name, "") or "").strip()

    client_id = idempotency_key.strip() or arg("attribute[client_id]")
    if len(client_id) > MAX_IDEMPOTENCY_KEY:
        raise GeoReportError(400, _("Idempotency key: at most %(n)d characters.") % {"n": MAX_IDEMPOTENCY_KEY})
    code = arg("service_code")
    if not code:
        raise GeoReportError(400, _("service_code was not provided."))

    errors: list[str] = []
    lat_s, long_s, address, address_id_s = arg("lat"), arg("long"), arg("address_string"), arg("address_id")
    lat = lng = None
    if lat_s or long_s:
        if not (lat_s and long_s):
            errors.append(_("lat and long must be sent together."))
        else:
            lat = _float("lat", lat_s, -90, 90, errors)
            lng = _float("long", long_s, -180, 180, errors)
    building_id = None
    if address_id_s:
        if address_id_s.isdigit() and len(address_id_s) < 18:
            building_id = int(address_id_s)
        else:
            errors.append(_("address_id: “%(v)s” is not an address id.") % {"v": address_id_s[:30]})
    if not (lat_s or long_s or address or address_id_s):
        errors.append(_("A location is needed: lat and long, address_string or address_id."))
    if len(address) > 200:
        errors.append(_("address_string: at most 200 characters."))
    description = arg("description")
    if len(description) > MAX_DESCRIPTION:
        errors.append(
            _("description: at most %(n)d characters (it has %(m)d).") % {"n": MAX_DESCRIPTION, "m": len(description)}
        )
    media_url = arg("media_url")
    if media_url:
        try:
            if len(media_url) > 500:
                raise ValidationError("too long")
            _validate_url(media_url)
        except ValidationError:
            errors.append(_("media_url: not an http(s) URL of at most 500 characters."))
    email = arg("email")
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors.append(_("email: not an e-mail address."))
    kind, urgency = arg("attribute[kind]"), arg("attribute[urgency]")
    if kind and kind not in Kind.values:
        errors.append(
            _("attribute[kind]: “%(v)s” is not one of %(o)s.") % {"v": kind[:30], "o": ", ".join(Kind.values)}
        )
    if urgency and urgency not in Urgency.values:
        errors.append(
            _("attribute[urgency]: “%(v)s” is not one of %(o)s.") % {"v": urgency[:30], "o": ", ".join(Urgency.values)}
        )
    if errors:
        raise GeoReportError(400, *errors)

    if not description:
        # The spec makes the description optional; a case needs one: the service's name says what it is about.
        name = service_categories().filter(code=code).values_list("name_zh", flat=True).first()
        if name is None:
            raise GeoReportError(404, _("service_code %(c)s was not found.") % {"c": code[:20]})
        description = name
    intake = Intake(
        description=description,
        category_code=code,
        kind=kind,
        lat=lat,
        lng=lng,
        address_text=address,
        building_id=building_id,
        channel=Channel.OPEN311,
        urgency=urgency,
        reporter_name=_reporter_name(arg("first_name"), arg("last_name"))[:50],
        reporter_phone=arg("phone"),
        reporter_email=email,
    )
    try:
        case, created = submit_case(
            None,
            intake,
            idempotency_key=client_id,
            idempotency_scope=key.idempotency_scope,
            source=f"API key {key.prefix}… {key.name}",
        )
    except ServiceError as exc:
        if exc.field == "category":  # submit_case knows the active leaf categories: the services of this API
            raise GeoReportError(404, _("service_code %(c)s was not found.") % {"c": code[:20]}) from exc
        raise GeoReportError(400, exc.message) from exc
    if media_url and (created or not RequestMedia.objects.filter(case=case).exists()):
        # Outside submit_case's transaction, so SQLite's write lock is not held longer; a retry after a crash
        # between the two writes adds the link then.
        RequestMedia.objects.get_or_create(case=case, defaults={"media_url": media_url})
    return Submitted(case=case, created=created, account_id=arg("account_id")[:100] or None)
