"""Revealing a resident's ID or phone number: only with the permission and a stated reason, always audited."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from civicgrid.areas.models import Grid
from civicgrid.audit.models import AuditEvent
from civicgrid.core import crypto
from civicgrid.core.errors import NotAllowed, ServiceError
from civicgrid.core.validators import id_number_error
from civicgrid.people.models import Resident
from civicgrid.people.services import reveal_resident_field

pytestmark = pytest.mark.django_db

REASON = "核实高龄补贴申请人身份"


@pytest.fixture
def resident_a(grid_a: Grid) -> Resident:
    return Resident.objects.filter(grid=grid_a).exclude(id_number_cipher="").exclude(phone_cipher="").order_by("id")[0]


def _reveals() -> Any:
    return AuditEvent.objects.filter(action__startswith="people.reveal_")


def test_a_grid_worker_reveals_an_id_number_of_their_grid_and_gets_the_plain_value(
    worker_a: Any, resident_a: Resident
) -> None:
    value = reveal_resident_field(worker_a, resident_a, "id_number", REASON)
    assert value == crypto.decrypt(resident_a.id_number_cipher)
    assert id_number_error(value) is None
    assert crypto.mask_id_number(value) == resident_a.id_number_masked


def test_a_reveal_is_written_to_the_audit_trail_with_its_reason(worker_a: Any, resident_a: Resident) -> None:
    reveal_resident_field(worker_a, resident_a, "phone", f"  {REASON}  ")
    event = _reveals().get()
    assert event.action == "people.reveal_phone"
    assert event.actor == worker_a
    assert (event.target_type, event.target_id) == ("people.resident", str(resident_a.pk))
    assert event.reason == REASON
    # The trail records that the number was seen, never the number itself.
    plain = crypto.decrypt(resident_a.phone_cipher)
    assert plain not in f"{event.before} {event.after} {event.reason} {event.target_label}"


def test_a_steward_may_not_reveal_even_in_their_own_grid(steward_a: Any, resident_a: Resident) -> None:
    with pytest.raises(NotAllowed):
        reveal_resident_field(steward_a, resident_a, "id_number", REASON)
    assert not _reveals().exists()


def test_a_grid_worker_may_not_reveal_in_another_grid(worker_b: Any, resident_a: Resident) -> None:
    with pytest.raises(NotAllowed):
        reveal_resident_field(worker_b, resident_a, "id_number", REASON)


@pytest.mark.parametrize("reason", ["", "   ", "查看", "abc", "  ab  "])
def test_a_reveal_needs_a_reason_of_at_least_four_characters(worker_a: Any, resident_a: Resident, reason: str) -> None:
    with pytest.raises(ServiceError) as exc:
        reveal_resident_field(worker_a, resident_a, "id_number", reason)
    assert exc.value.field == "reason"
    assert not _reveals().exists()


def test_a_four_character_reason_is_enough(worker_a: Any, resident_a: Resident) -> None:
    assert reveal_resident_field(worker_a, resident_a, "phone", "电话回访")


def test_only_the_id_and_phone_numbers_can_be_revealed(worker_a: Any, resident_a: Resident) -> None:
    with pytest.raises(ServiceError) as exc:
        reveal_resident_field(worker_a, resident_a, "id_number_cipher", REASON)
    assert exc.value.field == "field"


def test_revealing_an_empty_field_says_so(worker_a: Any, grid_a: Grid) -> None:
    no_phone = Resident.objects.filter(grid=grid_a, phone_cipher="").order_by("id")[0]
    with pytest.raises(ServiceError):
        reveal_resident_field(worker_a, no_phone, "phone", REASON)
    assert not _reveals().exists()


# --- the htmx endpoint and the API --------------------------------------------------------------------------


def test_the_htmx_reveal_returns_the_fragment_with_the_plain_value(
    client_as: Any, worker_a: Any, resident_a: Resident
) -> None:
    response = client_as(worker_a).post(
        reverse("people:reveal", args=[resident_a.pk, "id_number"]), {"reason": REASON}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.startswith('<span id="reveal-id_number">')
    assert "<html" not in html and "<body" not in html
    revealed = re.search(r'data-testid="revealed-id_number">([^<]+)<', html)
    assert revealed and revealed.group(1) == crypto.decrypt(resident_a.id_number_cipher)
    assert _reveals().get().reason == REASON


def test_the_htmx_reveal_without_a_reason_returns_the_form_again_with_the_error(
    client_as: Any, worker_a: Any, resident_a: Resident
) -> None:
    response = client_as(worker_a).post(
        reverse("people:reveal", args=[resident_a.pk, "phone"]), {"reason": "看"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'role="alert"' in html
    assert resident_a.phone_masked in html
    assert crypto.decrypt(resident_a.phone_cipher) not in html
    assert not _reveals().exists()


def test_a_steward_posting_to_the_reveal_endpoint_is_refused(
    client_as: Any, steward_a: Any, resident_a: Resident
) -> None:
    response = client_as(steward_a).post(
        reverse("people:reveal", args=[resident_a.pk, "id_number"]), {"reason": REASON}
    )
    assert response.status_code == 403
    assert not _reveals().exists()


def test_the_reveal_endpoint_takes_only_posts(client_as: Any, worker_a: Any, resident_a: Resident) -> None:
    response = client_as(worker_a).get(reverse("people:reveal", args=[resident_a.pk, "id_number"]))
    assert response.status_code == 405


def test_the_api_reveal_returns_the_value_and_refuses_a_missing_reason_naming_the_field(
    client_as: Any, staff_a: Any, resident_a: Resident
) -> None:
    client = client_as(staff_a)
    url = f"/api/v1/people/residents/{resident_a.pk}/reveal"
    ok = client.post(url, {"field": "phone", "reason": REASON}, content_type="application/json")
    assert ok.status_code == 200
    assert ok.json() == {"field": "phone", "value": crypto.decrypt(resident_a.phone_cipher)}
    refused = client.post(url, {"field": "phone", "reason": "看看"}, content_type="application/json")
    assert refused.status_code == 400
    assert refused.json()["field"] == "reason"
    assert _reveals().count() == 1


# --- what the pages show ------------------------------------------------------------------------------------


def _plain_numbers(residents: list[Resident]) -> list[str]:
    values = [crypto.decrypt(r.id_number_cipher) for r in residents if r.id_number_cipher]
    return values + [crypto.decrypt(r.phone_cipher) for r in residents if r.phone_cipher]


def test_the_resident_list_shows_only_masked_numbers(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    response = client_as(worker_a).get(reverse("people:residents"), {"grid": grid_a.pk})
    html = response.content.decode()
    shown = list(response.context["page"].object_list)
    assert shown
    for r in shown:
        assert r.id_number_masked in html or not r.id_number_cipher
    for plain in _plain_numbers(shown):
        assert plain not in html
    assert not _reveals().exists()


def test_the_resident_page_shows_only_masked_numbers_until_revealed(
    client_as: Any, worker_a: Any, resident_a: Resident
) -> None:
    response = client_as(worker_a).get(reverse("people:resident", args=[resident_a.pk]))
    html = response.content.decode()
    assert resident_a.id_number_masked in html and resident_a.phone_masked in html
    for plain in _plain_numbers([resident_a]):
        assert plain not in html
    assert response.context["can_reveal"] is True


def test_a_steward_sees_the_resident_page_without_a_reveal_form(
    client_as: Any, steward_a: Any, resident_a: Resident
) -> None:
    response = client_as(steward_a).get(reverse("people:resident", args=[resident_a.pk]))
    assert response.status_code == 200
    assert response.context["can_reveal"] is False
    assert reverse("people:reveal", args=[resident_a.pk, "id_number"]) not in response.content.decode()


def test_the_api_resident_list_carries_only_masked_numbers(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    body = client_as(worker_a).get("/api/v1/people/residents", {"grid_id": grid_a.pk}).content.decode()
    shown = list(Resident.objects.filter(grid=grid_a).order_by("household__code", "id")[:50])
    for plain in _plain_numbers(shown):
        assert plain not in body
    assert "cipher" not in body and "digest" not in body
