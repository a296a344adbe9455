"""Logging in: by username or phone number, lockout after five failures, session lifetimes, password rules."""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

import config.settings as real_settings
from civicgrid.accounts import services
from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.core.errors import ServiceError
from civicgrid.core.middleware import KEY as LOGIN_AT

pytestmark = pytest.mark.django_db

PASSWORD = "grid-test-password-2026"
LOGIN = "accounts:login"


@pytest.fixture
def clerk(grid_a: Any) -> User:
    user = User(username="login_clerk", role=Role.GRID_WORKER, grid=grid_a, community=grid_a.community)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def new_resident(db: Any) -> User:
    return services.register_resident(phone="13912340000", password=PASSWORD, display_name="张晓梅")


def _logged_in_user_id(client: Any) -> str | None:
    return client.session.get("_auth_user_id")


def test_staff_log_in_with_their_username(client: Any, clerk: User) -> None:
    response = client.post(reverse(LOGIN), {"username": "login_clerk", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("core:home")
    assert _logged_in_user_id(client) == str(clerk.pk)


def test_a_resident_logs_in_with_their_phone_number_however_it_is_typed(client: Any, new_resident: User) -> None:
    response = client.post(reverse(LOGIN), {"username": "139-1234-0000", "password": PASSWORD})
    assert response.status_code == 302
    assert _logged_in_user_id(client) == str(new_resident.pk)


def test_a_wrong_password_does_not_log_in(client: Any, clerk: User) -> None:
    response = client.post(reverse(LOGIN), {"username": "login_clerk", "password": "not-the-password"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert _logged_in_user_id(client) is None


def test_an_inactive_account_cannot_log_in(client: Any, clerk: User) -> None:
    clerk.is_active = False
    clerk.save()
    client.post(reverse(LOGIN), {"username": "login_clerk", "password": PASSWORD})
    assert _logged_in_user_id(client) is None


def test_five_wrong_passwords_lock_the_account_and_the_lockout_page_shows(client: Any, clerk: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse(LOGIN), {"username": "login_clerk", "password": "wrong-password-again"})
    response = client.post(reverse(LOGIN), {"username": "login_clerk", "password": PASSWORD})
    assert response.status_code == 429
    assert "accounts/locked_out.html" in [t.name for t in response.templates]
    assert _logged_in_user_id(client) is None


def test_four_wrong_passwords_do_not_lock_the_account(client: Any, clerk: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(reverse(LOGIN), {"username": "login_clerk", "password": "wrong-password-again"})
    client.post(reverse(LOGIN), {"username": "login_clerk", "password": PASSWORD})
    assert _logged_in_user_id(client) == str(clerk.pk)


def test_a_locked_username_does_not_lock_anyone_else(client: Any, clerk: User, new_resident: User) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse(LOGIN), {"username": "login_clerk", "password": "wrong-password-again"})
    client.post(reverse(LOGIN), {"username": "13912340000", "password": PASSWORD})
    assert _logged_in_user_id(client) == str(new_resident.pk)


def test_sessions_expire_after_thirty_idle_minutes() -> None:
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True


def test_the_session_cookie_is_renewed_for_thirty_minutes_on_every_request(client_as: Any, worker_a: User) -> None:
    response = client_as(worker_a).get(reverse("areas:grid", args=[worker_a.grid_id]))
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == 1800


def test_a_session_older_than_twelve_hours_is_logged_out_however_active(client_as: Any, worker_a: User) -> None:
    client = client_as(worker_a)
    client.get(reverse("core:home"))
    session = client.session
    session[LOGIN_AT] = time.time() - settings.CIVICGRID_SESSION_ABSOLUTE_SECONDS - 60
    session.save()
    response = client.get(reverse("areas:grid", args=[worker_a.grid_id]))
    assert response.status_code == 302
    assert response.url.startswith(reverse(LOGIN))


def test_argon2_is_the_first_password_hasher_of_the_real_settings() -> None:
    # conftest swaps in a fast hasher for tests, so read the settings module itself.
    assert real_settings.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    encoded = Argon2PasswordHasher().encode(PASSWORD, Argon2PasswordHasher().salt())  # argon2-cffi is installed
    assert encoded.startswith("argon2$")


@pytest.mark.parametrize("password", ["short-pw-11", "aB3$eF6&hI9"])
def test_passwords_shorter_than_twelve_characters_are_rejected(password: str) -> None:
    assert len(password) == 11
    with pytest.raises(ValidationError):
        validate_password(password)
    with pytest.raises(ServiceError) as exc:
        services.register_resident(phone="13912340001", password=password, display_name="李四")
    assert exc.value.field == "password"
    assert not User.objects.filter(phone_masked="139****0001").exists()


def test_a_twelve_character_password_is_accepted() -> None:
    password = "qz8-lantern7"
    assert len(password) == 12
    validate_password(password)


def test_asking_about_a_permission_the_role_lacks_costs_no_query(
    worker_a: User, django_assert_num_queries: Any
) -> None:
    # Permissions live in rules.py; Django's permission tables are never read.
    with django_assert_num_queries(0):
        assert not worker_a.has_perm("audit.view_audit_trail")
        assert not worker_a.has_perm("people.no_such_permission")
