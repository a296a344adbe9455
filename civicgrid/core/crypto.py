"""Encryption at rest for personal data (ID numbers, phone numbers).

Each sensitive value is stored as three columns:
- `<field>_cipher`: the Fernet token (AES-128-CBC + HMAC-SHA256), the only place the value can be read from;
- `<field>_digest`: a keyed HMAC-SHA256 of the normalised value, so that equality look-ups (log in by phone,
  find the resident with this ID number, reject duplicates in an import) work without decrypting anything;
- `<field>_masked`: what a screen may show (510***********1234, 138****5678).

Both keys are derived (HKDF) from one secret, settings.CIVICGRID_DATA_KEY, so there is one thing to keep safe.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _derive(secret: str, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"civicgrid", info=info).derive(secret.encode())


@lru_cache(maxsize=4)
def _keys(secret: str) -> tuple[Fernet, bytes]:
    fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"fernet-v1")))
    return fernet, _derive(secret, b"digest-v1")


def _current() -> tuple[Fernet, bytes]:
    return _keys(settings.CIVICGRID_DATA_KEY)


def normalise(value: str) -> str:
    """Spaces and dashes dropped, letters upper-cased: '510 1041990-0101123x' == '51010419900101123X'."""
    return "".join(ch for ch in value.strip().upper() if ch not in " -\t")


def encrypt(value: str) -> str:
    return _current()[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _current()[0].decrypt(token.encode()).decode()


def digest(value: str) -> str:
    return hmac.new(_current()[1], normalise(value).encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """510***********1234: region prefix and last four kept, the birth date hidden."""
    v = normalise(value)
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_phone(value: str) -> str:
    """138****5678."""
    v = normalise(value)
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


@dataclass(frozen=True)
class Sealed:
    cipher: str
    digest: str
    masked: str


EMPTY = Sealed("", "", "")


def seal_id_number(value: str | None) -> Sealed:
    if not value:
        return EMPTY
    v = normalise(value)
    return Sealed(encrypt(v), digest(v), mask_id_number(v))


def seal_phone(value: str | None) -> Sealed:
    if not value:
        return EMPTY
    v = normalise(value)
    return Sealed(encrypt(v), digest(v), mask_phone(v))
