"""The wire format of Open311 GeoReport v2: one Python structure, written as JSON or as XML.

The spec's JSON is a mechanical mapping of its XML (the "Spark convention"): a list in JSON is, in XML, an element
named for the list whose children are named for one item (`<services><service>…`), `null` is an empty element and
booleans are `true`/`false`. So every response is built once as dicts and lists and written by `render`.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml; charset=utf-8", "json": "application/json; charset=utf-8"}
XML_DECLARATION = b'<?xml version="1.0" encoding="utf-8"?>\n'

# The element name of one item of each list (spec names; `notes` and `note` are our status-history extension).
ITEM_TAGS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "notes": "note",
}


class GeoReportError(Exception):
    """An answer in the spec's error form: HTTP `status` and a list of descriptions (one error each)."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


def w3c(dt: datetime | None) -> str | None:
    """ISO 8601 with the zone offset the spec requires, to the second, in local time: 2026-01-05T09:30:00+08:00."""
    if dt is None:
        return None
    return dt.astimezone(timezone.get_default_timezone()).isoformat(timespec="seconds")


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def element(tag: str, value: Any) -> ET.Element:
    el = ET.Element(tag)
    if isinstance(value, dict):
        for key, child in value.items():
            el.append(element(key, child))
    elif isinstance(value, list):
        item = ITEM_TAGS[tag]
        for child in value:
            el.append(element(item, child))
    else:
        el.text = _text(value)
    return el


def to_xml(root: str, data: Any) -> bytes:
    return XML_DECLARATION + ET.tostring(element(root, data), encoding="utf-8")


def to_json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def render(fmt: str, root: str, data: Any, status: int = 200) -> HttpResponse:
    """`root` is the XML root element (`services`, `service_requests`, …); JSON has no root."""
    body = to_json(data) if fmt == "json" else to_xml(root, data)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def render_errors(fmt: str, status: int, descriptions: list[str]) -> HttpResponse:
    errors = [{"code": status, "description": d} for d in descriptions]
    return render(fmt, "errors", errors, status=status)


# Mainland ID numbers (18), mobiles (11, starting 1[3-9]) and landlines (0 + area code + 7–8 digits), not inside
# longer digit runs: masked like every other display of such numbers (first three and last four kept).
_PERSONAL_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[3-9][0-9]{9}|0[0-9]{2,3}-?[0-9]{7,8})(?![0-9])")


def redact(text: str) -> str:
    """Mask phone and ID numbers that people type into free text, before the text is published."""

    def mask(match: re.Match[str]) -> str:
        v = match.group(0).replace("-", "")
        return v[:3] + "*" * (len(v) - 7) + v[-4:]

    return _PERSONAL_NUMBER.sub(mask, text)
