"""What the Open311 endpoints say: the service list and definitions (the case categories) and service requests
(cases, as the public may see them), as plain structures for `georeport.render`.

Privacy: a request carries no reporter data at all (no name, phone, e-mail, account); phone and ID numbers typed
into free text are masked; 举报 (reports of wrongdoing) are never published; the address is the building's standard
address when the case has a building, else the address as typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from civicgrid.cases.choices import Kind, Status, Urgency
from civicgrid.cases.models import Case, CaseEvent, Category

from .georeport import GeoReportError, redact, w3c

CLOSED_STATUSES = (Status.CLOSED, Status.SURVEYED, Status.REJECTED, Status.MERGED)
MAX_WINDOW = timedelta(days=90)
MAX_ROWS = 1000


def open311_status(status: str) -> str:
    return "closed" if status in CLOSED_STATUSES else "open"


# --- services -----------------------------------------------------------------------------------------------


def service_categories() -> QuerySet[Category]:
    """Every active leaf category is a service; its parent is the group."""
    return Category.objects.filter(active=True, parent__isnull=False, parent__active=True).select_related("parent")


def attributes_for(category: Category) -> list[dict[str, Any]]:
    """Every service asks the same two optional questions; the classifier guesses the kind when it is not given."""
    return [
        {
            "variable": True,
            "code": "kind",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 1,
            "description": _("What kind of request is it?"),
            "values": [{"key": key, "name": str(label)} for key, label in Kind.choices],
        },
        {
            "variable": True,
            "code": "urgency",
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": None,
            "order": 2,
            "description": _("Is it urgent (a danger to people or property now)?"),
            "values": [{"key": key, "name": str(label)} for key, label in Urgency.choices],
        },
    ]


def service(category: Category) -> dict[str, Any]:
    words = [w.strip() for w in category.description.replace("、", ",").replace("，", ",").split(",")]
    return {
        "service_code": category.code,
        "service_name": str(category),
        "description": category.description,
        "metadata": bool(attributes_for(category)),
        "type": "realtime",
        "keywords": ", ".join(w for w in words if w),
        "group": str(category.parent) if category.parent_id else None,
    }


def service_definition(category: Category) -> dict[str, Any]:
    return {"service_code": category.code, "attributes": attributes_for(category)}


def _duration(minutes: int) -> str:
    if minutes % 60 == 0:
        return _("%(n)d h") % {"n": minutes // 60}
    return _("%(n)d min") % {"n": minutes}


def service_notice(category: Category, urgency: str = "") -> str | None:
    """The time limits that apply: working time for normal requests, the clock for urgent ones."""
    if not category.accept_minutes or not category.resolve_minutes:
        return None
    urgent = urgency == Urgency.URGENT if urgency else category.urgent
    values = {"a": _duration(category.accept_minutes), "r": _duration(category.resolve_minutes)}
    if urgent:
        return _("Urgent: accepted within %(a)s and resolved within %(r)s, round the clock.") % values
    return _("Accepted within %(a)s and resolved within %(r)s of working time.") % values


# --- service requests ---------------------------------------------------------------------------------------

# What a published request is made of: one row per case (no model instances: a page holds up to 1000 of them).
REQUEST_COLUMNS = (
    "id",
    "tracking_code",
    "status",
    "kind",
    "urgency",
    "overdue",
    "description",
    "category_id",
    "created_at",
    "updated_at",
    "resolve_due_at",
    "address_text",
    "building_id",
    "lat",
    "lng",
    "community__name",
    "responder__name",
    "building__address",
    "building__lat",
    "building__lng",
    "merged_into__tracking_code",
    "open311_media__media_url",
    "status_note",
)


def public_requests() -> QuerySet[Case, dict[str, Any]]:
    """Cases as Open311 publishes them (rows of REQUEST_COLUMNS), with the note of the step that led to the
    current status, newest first."""
    last_note = (
        CaseEvent.objects.filter(case_id=OuterRef("pk"), public=True, to_status=OuterRef("status"))
        .order_by("-at", "-id")
        .values("note")[:1]
    )
    return (
        Case.objects.exclude(kind=Kind.REPORT)
        .annotate(status_note=Subquery(last_note))
        .order_by("-created_at", "-id")
        .values(*REQUEST_COLUMNS)
    )


class Publisher:
    """Writes request rows in the current language; what repeats across rows (service names, notices, status
    labels) is worked out once per response."""

    def __init__(self) -> None:
        self.categories = {c.pk: c for c in Category.objects.select_related("parent")}
        self.status_labels = {value: str(label) for value, label in Status.choices}
        self.names: dict[int, str] = {}
        self.notices: dict[tuple[int, str], str | None] = {}

    def service_name(self, category_id: int) -> str:
        if category_id not in self.names:
            self.names[category_id] = str(self.categories[category_id])
        return self.names[category_id]

    def notice(self, category_id: int, urgency: str) -> str | None:
        if (category_id, urgency) not in self.notices:
            self.notices[(category_id, urgency)] = service_notice(self.categories[category_id], urgency)
        return self.notices[(category_id, urgency)]

    def status_notes(self, row: dict[str, Any]) -> str:
        label = self.status_labels.get(row["status"], row["status"])
        if row["status"] == Status.MERGED and row["merged_into__tracking_code"]:
            label = _("Merged into request %(c)s") % {"c": row["merged_into__tracking_code"]}
        note = (row["status_note"] or "").strip()
        return f"{label}: {redact(note)}" if note else label

    def request(self, row: dict[str, Any], notes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        has_building = row["building_id"] is not None
        address = row["building__address"] if has_building else redact(row["address_text"])
        lat, lng = row["lat"], row["lng"]
        if lat is None and has_building:
            lat, lng = row["building__lat"], row["building__lng"]
        out: dict[str, Any] = {
            "service_request_id": row["tracking_code"],
            "status": open311_status(row["status"]),
            "status_notes": self.status_notes(row),
            "service_name": self.service_name(row["category_id"]),
            "service_code": self.categories[row["category_id"]].code,
            "description": redact(row["description"]),
            "agency_responsible": row["responder__name"] or row["community__name"],
            "service_notice": self.notice(row["category_id"], row["urgency"]),
            "requested_datetime": w3c(row["created_at"]),
            "updated_datetime": w3c(row["updated_at"]),
            "expected_datetime": w3c(row["resolve_due_at"]),
            "address": address or None,
            "address_id": str(row["building_id"]) if has_building else None,
            "zipcode": None,
            "lat": lat,
            "long": lng,
            "media_url": row["open311_media__media_url"],
        }
        if notes is not None:
            out["extended_attributes"] = {
                "kind": row["kind"],
                "urgency": row["urgency"],
                "detailed_status": row["status"],
                "overdue": row["overdue"],
                "notes": notes,
            }
        return out

    def requests(self, rows: list[dict[str, Any]], *, extensions: bool = False) -> list[dict[str, Any]]:
        if not extensions:
            return [self.request(row) for row in rows]
        history = notes_of([row["id"] for row in rows])
        return [self.request(row, history.get(row["id"], [])) for row in rows]


def notes_of(case_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """The status notes history (our extension): every public step of each case, oldest first."""
    out: dict[int, list[dict[str, Any]]] = {}
    events = (
        CaseEvent.objects.filter(case_id__in=case_ids, public=True)
        .order_by("at", "id")
        .values_list("case_id", "at", "action", "to_status", "note")
    )
    for case_id, at, action, to_status, note in events:
        out.setdefault(case_id, []).append(
            {
                "datetime": w3c(at),
                "action": action,
                "status": open311_status(to_status) if to_status else None,
                "detailed_status": to_status or None,
                "note": redact(note) or None,
            }
        )
    return out


# --- GET requests: its query --------------------------------------------------------------------------------


def parse_when(name: str, value: str) -> datetime:
    """A w3c datetime (a date alone means its midnight; no zone means Asia/Shanghai). A '+' sent unencoded in
    the query string arrives as a space, so a space before the offset is read as '+'."""
    text = value.strip().replace(" ", "+")
    try:
        dt = parse_datetime(text)
        if dt is None and (d := parse_date(text)) is not None:
            dt = datetime(d.year, d.month, d.day)
    except ValueError:
        dt = None
    if dt is None:
        raise GeoReportError(400, _("%(f)s: not a w3c datetime such as 2026-01-31T09:00:00+08:00.") % {"f": name})
    return timezone.make_aware(dt) if timezone.is_naive(dt) else dt


@dataclass
class RequestQuery:
    """The filters of GET requests, checked: the spec's, plus the common extensions page, page_size,
    updated_after, updated_before and extensions."""

    ids: list[str]
    service_codes: list[str]
    statuses: list[str]
    start: datetime | None
    end: datetime | None
    updated_after: datetime | None
    updated_before: datetime | None
    page: int
    page_size: int
    extensions: bool


def _int(name: str, value: str, default: int, lo: int, hi: int) -> int:
    if not value.strip():
        return default
    try:
        n = int(value)
    except ValueError:
        n = lo - 1
    if not lo <= n <= hi:
        raise GeoReportError(400, _("%(f)s: a whole number from %(lo)d to %(hi)d.") % {"f": name, "lo": lo, "hi": hi})
    return n


def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def parse_request_query(params: Any, now: datetime | None = None) -> RequestQuery:
    now = now or timezone.now()
    errors: list[str] = []

    def when(name: str) -> datetime | None:
        value = params.get(name, "")
        if not value.strip():
            return None
        try:
            return parse_when(name, value)
        except GeoReportError as exc:
            errors.extend(exc.descriptions)
            return None

    start, end = when("start_date"), when("end_date")
    updated_after, updated_before = when("updated_after"), when("updated_before")
    statuses = [s.lower() for s in _split(",".join(params.getlist("status")))]
    if bad := [s for s in statuses if s not in ("open", "closed")]:
        errors.append(_("status: “%(s)s” is neither open nor closed.") % {"s": bad[0]})
    if errors:
        raise GeoReportError(400, *errors)
    dated = start or end or updated_after or updated_before
    if not dated:
        # The spec's default: the most recent 90 days.
        start, end = now - MAX_WINDOW, None
    elif start or end:
        if start and end and start > end:
            raise GeoReportError(400, _("start_date is after end_date."))
        lo = start or (end - MAX_WINDOW if end else now)
        hi = end or (start + MAX_WINDOW if start else now)
        if hi - lo > MAX_WINDOW:
            raise GeoReportError(400, _("start_date to end_date may span at most 90 days."))
        start, end = lo, hi
    return RequestQuery(
        ids=[i.upper() for i in _split(",".join(params.getlist("service_request_id")))][:MAX_ROWS],
        service_codes=_split(",".join(params.getlist("service_code"))),
        statuses=statuses,
        start=start,
        end=end,
        updated_after=updated_after,
        updated_before=updated_before,
        page=_int("page", params.get("page", ""), 1, 1, 1_000_000),
        page_size=_int("page_size", params.get("page_size", ""), MAX_ROWS, 1, MAX_ROWS),
        extensions=params.get("extensions", "").lower() in ("true", "1"),
    )


def find_requests(query: RequestQuery) -> list[dict[str, Any]]:
    qs = public_requests()
    if query.ids:
        # "This overrides all other arguments."
        qs = qs.filter(tracking_code__in=query.ids)
    else:
        if query.service_codes:
            qs = qs.filter(category__code__in=query.service_codes)
        if len(set(query.statuses)) == 1:
            closed = Q(status__in=CLOSED_STATUSES)
            qs = qs.filter(closed if query.statuses[0] == "closed" else ~closed)
        if query.start:
            qs = qs.filter(created_at__gte=query.start)
        if query.end:
            qs = qs.filter(created_at__lte=query.end)
        if query.updated_after:
            qs = qs.filter(updated_at__gte=query.updated_after)
        if query.updated_before:
            qs = qs.filter(updated_at__lte=query.updated_before)
    offset = (query.page - 1) * query.page_size
    return list(qs[offset : offset + query.page_size])


def request_id_for_token(token: str) -> str | None:
    """Requests are created at once (type realtime), so a token is the request id itself."""
    code = token.strip().upper()
    return (
        Case.objects.exclude(kind=Kind.REPORT)
        .filter(tracking_code=code)
        .values_list("tracking_code", flat=True)
        .first()
    )


def find_request(request_id: str) -> dict[str, Any]:
    row = public_requests().filter(tracking_code=request_id.strip().upper()).first()
    if row is None:
        raise GeoReportError(404, _("service_request_id %(id)s: no such request.") % {"id": request_id})
    return row
