"""API over cases (/api/v1/cases/...): intake (idempotent), scoped lists and details, and the steps of the loop.

Intake and reads accept an integration's API key (`X-API-Key`) or a logged-in session; steps need a person's
account, since every step is a named permission of a role. Responses never carry reporter data, except the masked
phone number for staff, who see only cases in their area.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import register_converter
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import PageNumberPagination, paginate

from civicgrid.accounts.choices import STAFF_ROLES
from civicgrid.open311.auth import key_or_session
from civicgrid.open311.models import ApiKey
from civicgrid.responders.models import Responder

from . import selectors, services
from .choices import Channel
from .models import Case, CaseEvent

router = Router(tags=["cases"])

MAX_IDEMPOTENCY_KEY = 128
# Channels a person may record through the API (Open311 has its own endpoint; keys always record "api").
API_CHANNELS = (Channel.API, Channel.WEB, Channel.PHONE, Channel.WALK_IN, Channel.PATROL)


class TrackingCodeConverter:
    """Tracking codes use no 0/O/1/I/L, so fixed words such as `classify` never look like one."""

    regex = "[2-9A-HJKMNP-Za-hjkmnp-z]{6,12}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(TrackingCodeConverter, "tracking")


class CaseIn(Schema):
    description: str
    category: str = ""  # a category code; empty: the classifier chooses
    kind: str = ""  # empty: the classifier chooses
    urgency: str = ""  # empty: the category's default
    lat: float | None = None
    lng: float | None = None
    address: str = ""
    building_id: int | None = None
    grid_id: int | None = None
    channel: str = Channel.API
    reporter_name: str = ""
    reporter_phone: str = ""
    reporter_email: str = ""
    anonymous: bool = False


class CaseOut(Schema):
    tracking_code: str
    kind: str
    category: str
    category_name: str
    description: str
    channel: str
    urgency: str
    status: str
    lat: float | None
    lng: float | None
    address: str
    building_id: int | None
    grid_id: int | None
    grid_name: str | None
    community_id: int | None
    responder_name: str | None
    overdue: bool
    satisfaction: str
    created_at: datetime
    accept_due_at: datetime | None
    resolve_due_at: datetime | None
    updated_at: datetime
    reporter_phone_masked: str | None

    @staticmethod
    def resolve_category(obj: Case) -> str:
        return obj.category.code

    @staticmethod
    def resolve_category_name(obj: Case) -> str:
        return str(obj.category)

    @staticmethod
    def resolve_address(obj: Case) -> str:
        return obj.address_text

    @staticmethod
    def resolve_grid_name(obj: Case) -> str | None:
        return obj.grid.name if obj.grid else None

    @staticmethod
    def resolve_responder_name(obj: Case) -> str | None:
        return obj.responder.name if obj.responder else None

    @staticmethod
    def resolve_reporter_phone_masked(obj: Case, context: Any) -> str | None:
        # Only staff, and they reach a case only through their scoped selector.
        return (obj.reporter_phone_masked or None) if _is_staff(context["request"]) else None


class EventOut(Schema):
    at: datetime
    action: str
    from_status: str
    to_status: str
    note: str
    actor: str | None

    @staticmethod
    def resolve_actor(obj: CaseEvent, context: Any) -> str | None:
        return obj.actor_label if _is_staff(context["request"]) else None


class CaseDetailOut(CaseOut):
    timeline: list[EventOut]

    @staticmethod
    def resolve_timeline(obj: Case, context: Any) -> list[CaseEvent]:
        return list(selectors.case_timeline(obj, public_only=not _is_staff(context["request"])))


class StepIn(Schema):
    note: str = ""
    responder_id: int | None = None  # dispatch: the unit (empty: the default unit of the area)
    satisfaction: str = ""  # survey: satisfied, basic, unsatisfied
    target: str = ""  # merge: the tracking code of the surviving case


def _is_staff(request: HttpRequest) -> bool:
    user = request.auth  # type: ignore[attr-defined]
    return not isinstance(user, ApiKey) and getattr(user, "role", None) in STAFF_ROLES


def _visible_cases(request: HttpRequest) -> Any:
    principal = request.auth  # type: ignore[attr-defined]
    if isinstance(principal, ApiKey):
        return selectors.cases_for_street(principal.street_id)
    return selectors.cases_for(principal)


@router.post("", response={200: CaseOut, 201: CaseOut}, auth=key_or_session)
def create_case(request: HttpRequest, payload: CaseIn, response: HttpResponse) -> Any:
    """Take in a case. Send `Idempotency-Key: <your id for this report>`: a retry with the same key returns the
    first case (200 and `Idempotent-Replayed: true`) instead of creating another (201)."""
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise HttpError(400, _("Idempotency key: at most %(n)d characters.") % {"n": MAX_IDEMPOTENCY_KEY})
    principal = request.auth  # type: ignore[attr-defined]
    channel: str
    if isinstance(principal, ApiKey):
        actor, scope, channel = None, principal.idempotency_scope, Channel.API
        source = f"API key {principal.prefix}… {principal.name}"
    else:
        actor, scope, channel, source = principal, f"user:{principal.pk}", payload.channel, ""
        if channel not in API_CHANNELS:
            raise HttpError(400, _("Channel: one of %(c)s.") % {"c": ", ".join(API_CHANNELS)})
    data = services.Intake(
        description=payload.description,
        category_code=payload.category.strip(),
        kind=payload.kind.strip(),
        lat=payload.lat,
        lng=payload.lng,
        address_text=payload.address,
        building_id=payload.building_id,
        grid_id=payload.grid_id,
        channel=channel,
        urgency=payload.urgency.strip(),
        reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone,
        reporter_email=payload.reporter_email,
        anonymous=payload.anonymous,
    )
    case, created = services.submit_case(
        actor, data, idempotency_key=idempotency_key, idempotency_scope=scope, source=source
    )
    if not created:
        response["Idempotent-Replayed"] = "true"
    return Status(201 if created else 200, case)


@router.get("", response=list[CaseOut], auth=key_or_session)
@paginate(PageNumberPagination, page_size=50)
def list_cases(
    request: HttpRequest, status: str = "", category: str = "", grid: int | None = None, overdue: bool | None = None
) -> Any:
    """Cases the caller may see, newest first. `status` takes a comma-separated list; `category` a code."""
    qs = _visible_cases(request)
    if statuses := [s.strip() for s in status.split(",") if s.strip()]:
        qs = qs.filter(status__in=statuses)
    if category:
        qs = qs.filter(category__code=category)
    if grid is not None:
        qs = qs.filter(grid_id=grid)
    if overdue is not None:
        qs = qs.filter(overdue=overdue)
    return qs.order_by("-created_at", "-id")


@router.get("/{tracking:tracking_code}", response=CaseDetailOut, auth=key_or_session)
def get_case(request: HttpRequest, tracking_code: str) -> Any:
    return get_object_or_404(_visible_cases(request), tracking_code=tracking_code.upper())


@router.post("/{tracking:tracking_code}/steps/{step}", response=CaseOut, auth=key_or_session)
def take_step(request: HttpRequest, tracking_code: str, step: str, payload: StepIn) -> Any:
    """Take one step of the loop (accept, reject, dispatch, acknowledge, return, start, resolve, verify, rework,
    close, survey, park, unpark, merge), as the logged-in person and under that step's rule."""
    if isinstance(request.auth, ApiKey):  # type: ignore[attr-defined]
        raise HttpError(403, _("Steps are taken by a person: log in; an API key cannot take them."))
    case = get_object_or_404(_visible_cases(request), tracking_code=tracking_code.upper())
    responder = None
    if payload.responder_id is not None:
        responder = Responder.objects.filter(pk=payload.responder_id).first()
        if responder is None:
            raise HttpError(400, _("Responder: no such responder unit."))
    target = None
    if payload.target.strip():
        target = _visible_cases(request).filter(tracking_code=payload.target.strip().upper()).first()
        if target is None:
            raise HttpError(400, _("Merge: no such case in your area."))
    services.take_step(
        request.user, case, step, payload.note, responder=responder, satisfaction=payload.satisfaction, target=target
    )
    return _visible_cases(request).get(pk=case.pk)


# --- classification: category and kind suggestions for a text (anonymous allowed: the public report page uses it) --


class ClassifyIn(Schema):
    text: str = ""


class ClassifyCategoryOut(Schema):
    code: str
    name: str
    score: float


class ClassifyKindOut(Schema):
    kind: str
    label: str
    score: float


class ClassifyOut(Schema):
    categories: list[ClassifyCategoryOut]
    kinds: list[ClassifyKindOut]


@router.post("/classify", response=ClassifyOut, auth=None)
def classify_text(request: HttpRequest, payload: ClassifyIn) -> Any:
    """Suggest categories and kinds for a report's text, best first, with probabilities (top 5 of each).
    400 when `text` is empty or longer than 4000 characters."""
    from django.utils.translation import get_language

    from . import classifier
    from .choices import Kind

    result = classifier.classify(classifier.check_text(payload.text))
    names = classifier.active_categories()
    english = (get_language() or "").startswith("en")
    return {
        "categories": [
            {"code": code, "name": names.get(code, (code, code))[1 if english else 0], "score": round(score, 4)}
            for code, score in result.categories
        ],
        "kinds": [{"kind": k, "label": str(Kind(k).label), "score": round(score, 4)} for k, score in result.kinds],
    }
