"""Identity and phone numbers: the GB 11643 check digit, birth date and gender, mainland phone formats."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils.translation import gettext as _

from civicgrid.core.validators import (
    birth_date_from_id,
    gender_from_id,
    id_number_error,
    make_id_number,
    phone_error,
)

# The worked example of GB 11643-1999 itself: its check digit is X.
STANDARD_EXAMPLE = "11010519491231002X"


def test_the_standards_own_example_is_valid() -> None:
    assert id_number_error(STANDARD_EXAMPLE) is None


def test_a_lower_case_x_and_spaces_are_accepted() -> None:
    assert id_number_error("110105 19491231 002x") is None


def test_a_wrong_check_digit_is_caught() -> None:
    assert id_number_error("110105194912310021") == _("check digit does not match (typo?)")


@pytest.mark.parametrize(
    "value",
    ["", "11010519491231002", "11010519491231002XX", "1101051949123100XX", "A1010519491231002X", "11010519491231002Y"],
)
def test_a_malformed_id_number_says_what_shape_it_must_have(value: str) -> None:
    assert id_number_error(value) == _("must be 18 characters: 17 digits and a digit or X")


def test_an_impossible_birth_date_is_caught_before_the_check_digit() -> None:
    body = "11010519490230002"  # 30 February
    assert id_number_error(body + "0") == _("contains an impossible birth date")


def test_the_birth_date_is_read_from_the_id_number() -> None:
    assert birth_date_from_id(STANDARD_EXAMPLE) == date(1949, 12, 31)
    assert birth_date_from_id("123") is None
    assert birth_date_from_id("110105194902300020") is None


def test_the_gender_is_read_from_the_seventeenth_digit() -> None:
    assert gender_from_id(STANDARD_EXAMPLE) == "female"  # 2 is even
    assert gender_from_id(make_id_number("510104", date(1990, 1, 1), 123)) == "male"
    assert gender_from_id("short") is None


def test_make_id_number_builds_a_valid_number_with_the_given_parts() -> None:
    value = make_id_number("510116", date(2001, 7, 9), 42)
    assert value.startswith("51011620010709042")
    assert id_number_error(value) is None


@pytest.mark.parametrize("value", ["13812345678", "199 0000 1111", "138-1234-5678", "02885551234", "028-8555-1234"])
def test_mainland_mobiles_and_landlines_are_valid_phone_numbers(value: str) -> None:
    assert phone_error(value) is None


@pytest.mark.parametrize(
    "value", ["", "1381234567", "138123456789", "12812345678", "23812345678", "abc", "+8613812345678"]
)
def test_anything_else_is_not_a_phone_number(value: str) -> None:
    assert phone_error(value) == _("is not a mainland mobile (11 digits starting with 1) or landline number")
