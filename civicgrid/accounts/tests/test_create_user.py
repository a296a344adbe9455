"""Staff accounts are made by their superiors, inside the superior's own area, and every change is audited."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from civicgrid.accounts import services
from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.audit.models import AuditEvent
from civicgrid.core import crypto
from civicgrid.core.errors import NotAllowed, ServiceError

pytestmark = pytest.mark.django_db

PASSWORD = "initial-password-2026"


def _create(actor: User, **kw: Any) -> User:
    kw.setdefault("username", "new_account")
    kw.setdefault("display_name", "新同事")
    kw.setdefault("password", PASSWORD)
    return services.create_user(actor, **kw)


def test_community_staff_create_a_grid_worker_in_their_own_grid(staff_a: User, grid_a: Grid) -> None:
    user = _create(staff_a, role=Role.GRID_WORKER, grid=grid_a, phone="13611112222")
    assert (user.grid, user.community, user.street_id) == (grid_a, grid_a.community, staff_a.street_id)
    assert user.check_password(PASSWORD)
    assert user.phone_masked == "136****2222"
    event = AuditEvent.objects.get(action="accounts.create_user", target_id=str(user.pk))
    assert event.actor == staff_a
    assert event.after["role"] == Role.GRID_WORKER


def test_community_staff_cannot_create_an_account_in_another_communitys_grid(staff_a: User, grid_b: Grid) -> None:
    with pytest.raises(ServiceError) as exc:
        _create(staff_a, role=Role.GRID_WORKER, grid=grid_b)
    assert exc.value.field == "community"
    assert not User.objects.filter(username="new_account").exists()


def test_community_staff_cannot_create_a_street_admin(staff_a: User) -> None:
    with pytest.raises(NotAllowed):
        _create(staff_a, role=Role.STREET_ADMIN)


def test_community_staff_cannot_create_community_staff(staff_a: User) -> None:
    with pytest.raises(NotAllowed):
        _create(staff_a, role=Role.COMMUNITY_STAFF, community=staff_a.community)


@pytest.mark.parametrize("person", ["worker_a", "steward_a", "resident", "merchant", "responder"])
def test_people_below_community_staff_cannot_create_accounts(person: str, request: Any, grid_a: Grid) -> None:
    actor = request.getfixturevalue(person)
    with pytest.raises(NotAllowed):
        _create(actor, role=Role.STEWARD, grid=grid_a)
    assert not User.objects.filter(username="new_account").exists()


def test_the_street_admin_creates_community_staff_for_any_community_of_the_street(
    street_admin: User, staff_b: User
) -> None:
    user = _create(street_admin, role=Role.COMMUNITY_STAFF, community=staff_b.community)
    assert user.community == staff_b.community
    assert AuditEvent.objects.filter(action="accounts.create_user", target_id=str(user.pk)).exists()


def test_a_grid_role_needs_a_grid(staff_a: User) -> None:
    with pytest.raises(ServiceError) as exc:
        _create(staff_a, role=Role.GRID_WORKER)
    assert exc.value.field == "grid"


def test_a_taken_username_is_refused(staff_a: User, grid_a: Grid) -> None:
    with pytest.raises(ServiceError) as exc:
        _create(staff_a, username="wanjia01_worker", role=Role.GRID_WORKER, grid=grid_a)
    assert exc.value.field == "username"


def test_a_staff_account_cannot_take_a_phone_number_that_already_logs_someone_in(
    staff_a: User, grid_a: Grid, resident: User
) -> None:
    # Residents log in with their phone number: two accounts on one number would make that login ambiguous.
    assert resident.phone_digest == crypto.digest("13800000001")
    with pytest.raises(ServiceError) as exc:
        _create(staff_a, role=Role.GRID_WORKER, grid=grid_a, phone="138 0000 0001")
    assert exc.value.field == "phone"


def test_a_short_initial_password_is_refused(staff_a: User, grid_a: Grid) -> None:
    with pytest.raises(ServiceError) as exc:
        _create(staff_a, role=Role.GRID_WORKER, grid=grid_a, password="short-pw")
    assert exc.value.field == "password"


def test_the_users_page_creates_an_account_in_the_own_community(client_as: Any, staff_a: User, grid_a: Grid) -> None:
    response = client_as(staff_a).post(
        reverse("accounts:users"),
        {
            "username": "page_worker",
            "display_name": "页面新人",
            "role": Role.GRID_WORKER,
            "grid": grid_a.pk,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="page_worker").grid == grid_a


def test_the_users_page_offers_no_grid_of_another_community(client_as: Any, staff_a: User, grid_b: Grid) -> None:
    response = client_as(staff_a).post(
        reverse("accounts:users"),
        {
            "username": "page_worker",
            "display_name": "页面新人",
            "role": Role.GRID_WORKER,
            "grid": grid_b.pk,
            "password": PASSWORD,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["grid"]
    assert not User.objects.filter(username="page_worker").exists()


def test_the_users_page_offers_community_staff_only_the_roles_they_may_create(client_as: Any, staff_a: User) -> None:
    form = client_as(staff_a).get(reverse("accounts:users")).context["form"]
    roles = {value for value, _label in form.fields["role"].choices}
    assert roles == {Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD, Role.MERCHANT}


def test_deactivating_an_account_is_audited(staff_a: User, worker_a: User) -> None:
    services.set_user_active(staff_a, worker_a, False)
    worker_a.refresh_from_db()
    assert worker_a.is_active is False
    event = AuditEvent.objects.get(action="accounts.set_active", target_id=str(worker_a.pk))
    assert (event.before, event.after) == ({"is_active": True}, {"is_active": False})


def test_community_staff_cannot_deactivate_an_account_of_another_community(staff_a: User, worker_b: User) -> None:
    with pytest.raises(NotAllowed):
        services.set_user_active(staff_a, worker_b, False)
    worker_b.refresh_from_db()
    assert worker_b.is_active is True
    assert not AuditEvent.objects.filter(action="accounts.set_active", target_id=str(worker_b.pk)).exists()


def test_a_grid_worker_cannot_deactivate_anyone(worker_a: User, steward_a: User) -> None:
    with pytest.raises(NotAllowed):
        services.set_user_active(worker_a, steward_a, False)
