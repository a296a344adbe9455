"""Validators for Chinese identity numbers and phone numbers, with messages that name what is wrong."""

from __future__ import annotations

import re
from datetime import date

from django.utils.translation import gettext as _

from .crypto import normalise

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}\d{7,8}$")


def id_number_error(value: str) -> str | None:
    """Why a resident identity number (GB 11643) is invalid, or None when it is valid."""
    v = normalise(value)
    if len(v) != 18 or not v[:17].isdigit() or not (v[17].isdigit() or v[17] == "X"):
        return _("must be 18 characters: 17 digits and a digit or X")
    try:
        date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return _("contains an impossible birth date")
    check = _ID_CHECK[sum(int(d) * w for d, w in zip(v[:17], _ID_WEIGHTS, strict=True)) % 11]
    if check != v[17]:
        return _("check digit does not match (typo?)")
    return None


def birth_date_from_id(value: str) -> date | None:
    v = normalise(value)
    try:
        return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except (ValueError, IndexError):
        return None


def gender_from_id(value: str) -> str | None:
    v = normalise(value)
    if len(v) != 18 or not v[16].isdigit():
        return None
    return "male" if int(v[16]) % 2 else "female"


def phone_error(value: str) -> str | None:
    v = normalise(value)
    if _MOBILE.match(v) or _LANDLINE.match(v):
        return None
    return _("is not a mainland mobile (11 digits starting with 1) or landline number")


def make_id_number(region: str, born: date, seq: int) -> str:
    """A well-formed identity number (for demo data and tests): region + birth date + sequence + check."""
    body = f"{region}{born:%Y%m%d}{seq % 1000:03d}"
    return body + _ID_CHECK[sum(int(d) * w for d, w in zip(body, _ID_WEIGHTS, strict=True)) % 11]
