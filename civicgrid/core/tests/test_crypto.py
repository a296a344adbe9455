"""Personal data at rest: masks, encryption, keyed digests, and the production key requirement."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import InvalidToken
from django.conf import settings as django_settings
from django.db import connection

from civicgrid.accounts.models import User
from civicgrid.core import crypto
from civicgrid.people.models import Resident

ID_NUMBER = "510104199001011234"
PHONE = "13812345678"


def test_an_id_number_is_masked_to_its_region_prefix_and_last_four() -> None:
    assert crypto.mask_id_number(ID_NUMBER) == "510***********1234"


def test_a_phone_number_is_masked_to_its_prefix_and_last_four() -> None:
    assert crypto.mask_phone(PHONE) == "138****5678"


def test_masks_normalise_first() -> None:
    assert crypto.mask_phone("138-1234 5678") == "138****5678"
    assert crypto.mask_id_number("510104 19900101 123x") == "510***********123X"


def test_a_value_too_short_to_mask_safely_is_hidden_entirely() -> None:
    assert crypto.mask_phone("1234567") == "*******"
    assert crypto.mask_id_number("") == ""


def test_normalise_drops_spaces_and_dashes_and_upper_cases() -> None:
    assert crypto.normalise(" 510 1041990-0101123x\t") == "51010419900101123X"


def test_encrypt_then_decrypt_gives_the_value_back() -> None:
    token = crypto.encrypt(ID_NUMBER)
    assert token != ID_NUMBER
    assert ID_NUMBER not in token
    assert crypto.decrypt(token) == ID_NUMBER


def test_encrypting_twice_gives_different_tokens() -> None:
    # A fresh IV each time: equal values cannot be spotted by comparing ciphertexts (that is what digests are for).
    assert crypto.encrypt(PHONE) != crypto.encrypt(PHONE)


def test_a_tampered_token_does_not_decrypt() -> None:
    token = crypto.encrypt(PHONE)
    forged = token[:-6] + ("A" if token[-6] != "A" else "B") + token[-5:]
    with pytest.raises(InvalidToken):
        crypto.decrypt(forged)


def test_the_digest_is_stable_and_normalised() -> None:
    d = crypto.digest(ID_NUMBER)
    assert d == crypto.digest(ID_NUMBER)
    assert len(d) == 64
    assert crypto.digest("51010419900101123x") == crypto.digest("510104 19900101 123X")
    assert crypto.digest("138-1234-5678") == crypto.digest(PHONE)
    assert crypto.digest(PHONE) != crypto.digest("13812345679")


def test_the_digest_is_keyed(settings: Any) -> None:
    before = crypto.digest(PHONE)
    settings.CIVICGRID_DATA_KEY = "another-deployment-key"
    assert crypto.digest(PHONE) != before


def test_a_token_from_another_key_does_not_decrypt(settings: Any) -> None:
    token = crypto.encrypt(PHONE)
    settings.CIVICGRID_DATA_KEY = "another-deployment-key"
    with pytest.raises(InvalidToken):
        crypto.decrypt(token)


def test_sealing_gives_the_three_columns() -> None:
    sealed = crypto.seal_id_number("510104199001011234")
    assert crypto.decrypt(sealed.cipher) == ID_NUMBER
    assert sealed.digest == crypto.digest(ID_NUMBER)
    assert sealed.masked == "510***********1234"
    assert crypto.seal_phone("") == crypto.EMPTY
    assert crypto.seal_id_number(None) == crypto.EMPTY


@pytest.mark.django_db
def test_the_raw_database_row_of_a_seeded_resident_does_not_contain_the_plain_numbers() -> None:
    r = Resident.objects.exclude(id_number_cipher="").exclude(phone_cipher="").order_by("id")[0]
    plain_id, plain_phone = crypto.decrypt(r.id_number_cipher), crypto.decrypt(r.phone_cipher)
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM people_resident WHERE id = %s", [r.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert plain_id not in row
    assert plain_phone not in row
    assert r.id_number_masked in row  # the row is the right one: what a screen may show is there


@pytest.mark.django_db
def test_the_raw_database_row_of_an_account_does_not_contain_its_phone_number() -> None:
    user = User.objects.get(username="resident_demo")
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM accounts_user WHERE id = %s", [user.pk])
        row = " ".join(str(v) for v in cur.fetchone())
    assert "13800000001" not in row
    assert crypto.decrypt(user.phone_cipher) == "13800000001"


# --- production refuses to start without the data key --------------------------------------------------------


def _import_settings(tmp_path: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO", "CIVICGRID", "DATABASE_URL"))}
    env.update(
        DJANGO_DEBUG="0",
        SECRET_KEY="x" * 60,
        ALLOWED_HOSTS="civicgrid.example.cn",
        CIVICGRID_VAR_DIR=str(tmp_path),
        **extra,
    )
    return subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_a_production_start_without_the_data_key_fails(tmp_path: Path) -> None:
    result = _import_settings(tmp_path)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert "CIVICGRID_DATA_KEY" in result.stderr


def test_a_production_start_with_the_data_key_succeeds(tmp_path: Path) -> None:
    result = _import_settings(tmp_path, CIVICGRID_DATA_KEY="a-long-random-production-data-key")
    assert result.returncode == 0, result.stderr
