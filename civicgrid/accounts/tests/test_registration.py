"""Residents register with a phone number, then ask to be linked to their household; community staff decide."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils.translation import gettext as _

from civicgrid.accounts import services
from civicgrid.accounts.choices import LinkStatus, Role
from civicgrid.accounts.models import HouseholdLinkRequest, User
from civicgrid.audit.models import AuditEvent
from civicgrid.core import crypto
from civicgrid.core.errors import NotAllowed, ServiceError
from civicgrid.people.models import Household

pytestmark = pytest.mark.django_db

PASSWORD = "grid-test-password-2026"
DUPLICATE_PHONE_MSGID = "Phone number: an account with this number already exists; please log in."


def _event(action: str, target: Any) -> AuditEvent:
    return AuditEvent.objects.get(action=action, target_id=str(target.pk))


def _messages(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def new_resident(db: Any) -> User:
    return services.register_resident(phone="13912340000", password=PASSWORD, display_name="张晓梅")


@pytest.fixture
def link_request(new_resident: User, staff_a: User) -> HouseholdLinkRequest:
    return services.request_household_link(
        new_resident, community=staff_a.community, address_text="万家花园3栋1单元502", name_given="张晓梅"
    )


def _household_of(community_id: int) -> Household:
    return Household.objects.filter(grid__community_id=community_id).order_by("code")[0]


# --- registration --------------------------------------------------------------------------------------------


def test_a_resident_registers_on_the_page_and_lands_on_their_own_page(client: Any) -> None:
    response = client.post(
        reverse("accounts:register"), {"display_name": "王芳", "phone": "139 1234 5678", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert response.url == reverse("accounts:resident_home")
    user = User.objects.get(phone_digest=crypto.digest("13912345678"))
    assert user.role == Role.RESIDENT
    assert user.phone_masked == "139****5678"
    assert crypto.decrypt(user.phone_cipher) == "13912345678"
    assert client.session["_auth_user_id"] == str(user.pk)
    assert _event("accounts.register_resident", user).after == {"phone": "139****5678"}


def test_the_register_page_opens_for_anyone(client: Any) -> None:
    assert client.get(reverse("accounts:register")).status_code == 200


def test_registering_a_phone_number_that_already_has_an_account_is_refused_on_the_phone_field(client: Any) -> None:
    before = User.objects.count()
    response = client.post(
        reverse("accounts:register"),
        {"display_name": "冒名者", "phone": "138-0000-0001", "password": PASSWORD},  # resident_demo's number
    )
    assert response.status_code == 200
    assert response.context["form"].errors["phone"] == [_(DUPLICATE_PHONE_MSGID)]
    assert User.objects.count() == before


def test_the_duplicate_phone_message_is_in_the_chinese_catalogue() -> None:
    po = settings.BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
    catalogue = po.read_text(encoding="utf-8").replace('"\n"', "")  # join wrapped msgid lines
    assert f'msgid "{DUPLICATE_PHONE_MSGID}"' in catalogue


def test_an_invalid_phone_number_is_refused_naming_the_field() -> None:
    with pytest.raises(ServiceError) as exc:
        services.register_resident(phone="12345", password=PASSWORD, display_name="李四")
    assert exc.value.field == "phone"
    assert _("Phone number") in exc.value.message


def test_a_short_password_is_refused_on_the_register_page(client: Any) -> None:
    response = client.post(
        reverse("accounts:register"), {"display_name": "王芳", "phone": "13912345678", "password": "short-pw"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["password"]
    assert not User.objects.filter(phone_digest=crypto.digest("13912345678")).exists()


# --- household links ----------------------------------------------------------------------------------------


def test_a_resident_asks_for_a_link_on_their_page(client_as: Any, new_resident: User, staff_a: User) -> None:
    response = client_as(new_resident).post(
        reverse("accounts:resident_home"),
        {"community": staff_a.community_id, "address_text": "万家花园3栋502", "name_given": "张晓梅"},
    )
    assert response.status_code == 302
    req = HouseholdLinkRequest.objects.get(user=new_resident)
    assert req.status == LinkStatus.PENDING
    assert req.community_id == staff_a.community_id
    assert _event("accounts.request_household_link", req).actor == new_resident


def test_a_second_request_while_one_is_pending_is_refused(new_resident: User, link_request: Any) -> None:
    with pytest.raises(ServiceError):
        services.request_household_link(
            new_resident, community=link_request.community, address_text="别处", name_given="张晓梅"
        )


def test_staff_of_the_community_approve_with_a_household_code_and_the_resident_sees_the_household(
    client_as: Any, new_resident: User, staff_a: User, link_request: HouseholdLinkRequest
) -> None:
    household = _household_of(staff_a.community_id)
    response = client_as(staff_a).post(
        reverse("accounts:decide_link_request", args=[link_request.pk]),
        {"decision": "approve", "household_code": household.code},
    )
    assert response.status_code == 302
    link_request.refresh_from_db()
    new_resident.refresh_from_db()
    assert link_request.status == LinkStatus.APPROVED
    assert link_request.decided_by == staff_a
    assert new_resident.household == household
    event = _event("accounts.decide_household_link", link_request)
    assert event.actor == staff_a
    assert event.after == {"status": "approved", "household": household.code}

    page = client_as(new_resident).get(reverse("accounts:resident_home"))
    assert page.context["household"] == household
    assert household.code in page.content.decode()


def test_staff_of_another_community_cannot_decide_the_request(
    client_as: Any, staff_b: User, link_request: HouseholdLinkRequest
) -> None:
    response = client_as(staff_b).post(
        reverse("accounts:decide_link_request", args=[link_request.pk]),
        {"decision": "approve", "household_code": _household_of(staff_b.community_id).code},
    )
    assert response.status_code == 404
    link_request.refresh_from_db()
    assert link_request.status == LinkStatus.PENDING
    with pytest.raises(NotAllowed):
        services.decide_link_request(staff_b, link_request, approve=False, note="不是本社区")


def test_a_grid_worker_cannot_decide_link_requests(
    client_as: Any, worker_a: User, link_request: HouseholdLinkRequest
) -> None:
    response = client_as(worker_a).post(
        reverse("accounts:decide_link_request", args=[link_request.pk]), {"decision": "reject", "note": "不对"}
    )
    assert response.status_code == 403
    link_request.refresh_from_db()
    assert link_request.status == LinkStatus.PENDING


def test_staff_cannot_link_a_household_of_another_community(
    client_as: Any, staff_a: User, staff_b: User, link_request: HouseholdLinkRequest
) -> None:
    code = _household_of(staff_b.community_id).code
    response = client_as(staff_a).post(
        reverse("accounts:decide_link_request", args=[link_request.pk]),
        {"decision": "approve", "household_code": code},
    )
    assert code in " ".join(_messages(response))
    link_request.refresh_from_db()
    assert link_request.status == LinkStatus.PENDING


def test_the_street_admin_cannot_link_a_household_outside_the_community_the_resident_named(
    street_admin: User, staff_b: User, link_request: HouseholdLinkRequest
) -> None:
    with pytest.raises(ServiceError) as exc:
        services.decide_link_request(
            street_admin, link_request, approve=True, household=_household_of(staff_b.community_id)
        )
    assert exc.value.field == "household"


def test_a_rejection_needs_a_reason(client_as: Any, staff_a: User, link_request: HouseholdLinkRequest) -> None:
    url = reverse("accounts:decide_link_request", args=[link_request.pk])
    client = client_as(staff_a)
    response = client.post(url, {"decision": "reject", "note": "  "})
    assert _("Reason: say why the request is rejected.") in _messages(response)
    link_request.refresh_from_db()
    assert link_request.status == LinkStatus.PENDING

    client.post(url, {"decision": "reject", "note": "查无此户，请到社区核实"})
    link_request.refresh_from_db()
    assert link_request.status == LinkStatus.REJECTED
    assert link_request.household is None
    event = _event("accounts.decide_household_link", link_request)
    assert event.reason == "查无此户，请到社区核实"
    assert event.after == {"status": "rejected", "household": None}


def test_a_decided_request_cannot_be_decided_again(staff_a: User, link_request: HouseholdLinkRequest) -> None:
    services.decide_link_request(staff_a, link_request, approve=False, note="查无此户")
    with pytest.raises(ServiceError):
        services.decide_link_request(staff_a, link_request, approve=True, household=_household_of(staff_a.community_id))
