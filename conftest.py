"""Shared test world: a tiny demo street (2 communities × 3 grids) seeded once per test session.

The standing people, as in every test of this project:
- `street_admin` (jj_admin) sees the whole street;
- `staff_a` (wanjia_staff) is community staff of community A (万家社区), `staff_b` of community B (泉水社区);
- `worker_a` works grid A (万家社区 grid 1), `worker_a2` grid A2 (万家社区 grid 2), `worker_b` grid B (泉水社区 grid 1);
- `steward_a` is a steward of grid A; `resident` is a resident linked to a household; `responder` and `merchant`.
"""

from __future__ import annotations

import os
from typing import Any

import pytest

os.environ.setdefault(
    "DJANGO_ALLOW_ASYNC_UNSAFE", "true"
)  # Playwright's sync API runs an event loop in the test thread

TINY_SEED = 7


# Data that migrations ship (care groups, case categories and calendar, patrol checklist): a transactional test
# (the browser tests) truncates every table after it runs, so the next one loads them again the same way.
SHIPPED_DATA = [
    ("people.CareTag", "civicgrid.people.migrations.0002_care_tags"),
    ("cases.Category", "civicgrid.cases.migrations.0002_default_data"),
    ("patrols.ChecklistItem", "civicgrid.patrols.migrations.0002_default_checklist"),
]


def reload_shipped_data() -> None:
    import importlib

    from django.apps import apps

    from civicgrid.cases import calendar

    for model, migration in SHIPPED_DATA:
        if not apps.get_model(model).objects.exists():
            importlib.import_module(migration).load(apps, None)
    calendar.invalidate()


def seed_tiny_world() -> None:
    from civicgrid.areas.locator import invalidate
    from civicgrid.core.demo.street import DemoBuilder

    reload_shipped_data()

    DemoBuilder(seed=TINY_SEED, scale="tiny").build()
    invalidate()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None, tmp_path_factory: Any) -> None:
    """SQLite tests use a database file (in pytest's temporary directory), not memory: the live server then
    serves each request on its own connection, with WAL and IMMEDIATE transactions as in production. (With an
    in-memory database every server thread shares the test's one connection, so concurrency is not tested.)"""
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] == "django.db.backends.sqlite3":
        db.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test_civicgrid.sqlite3")


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    with django_db_blocker.unblock():
        seed_tiny_world()


@pytest.fixture(autouse=True)
def _fast_settings(settings: Any) -> None:
    # Argon2 is the production hasher (tested in accounts); tests log in many times and use a fast one.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": ["default"]}}
    settings.AXES_ENABLED = True


def _user(username: str) -> Any:
    from civicgrid.accounts.models import User

    return User.objects.select_related("grid", "community", "street").get(username=username)


@pytest.fixture
def street_admin(db: Any) -> Any:
    return _user("jj_admin")


@pytest.fixture
def staff_a(db: Any) -> Any:
    return _user("wanjia_staff")


@pytest.fixture
def staff_b(db: Any) -> Any:
    return _user("quanshui_staff")


@pytest.fixture
def worker_a(db: Any) -> Any:
    return _user("wanjia01_worker")


@pytest.fixture
def worker_a2(db: Any) -> Any:
    return _user("wanjia02_worker")


@pytest.fixture
def worker_b(db: Any) -> Any:
    return _user("quanshui01_worker")


@pytest.fixture
def steward_a(db: Any) -> Any:
    return _user("wanjia01_steward1")


@pytest.fixture
def resident(db: Any) -> Any:
    return _user("resident_demo")


@pytest.fixture
def responder(db: Any) -> Any:
    from civicgrid.accounts.models import User

    return User.objects.filter(role="responder").order_by("id").first()


@pytest.fixture
def merchant(db: Any) -> Any:
    return _user("merchant_demo")


@pytest.fixture
def grid_a(worker_a: Any) -> Any:
    return worker_a.grid


@pytest.fixture
def grid_b(worker_b: Any) -> Any:
    return worker_b.grid


@pytest.fixture
def client_as(client: Any) -> Any:
    """client_as(user) → the test client logged in as that user."""

    def login(user: Any) -> Any:
        client.force_login(user, backend="civicgrid.accounts.backends.UsernameOrPhoneBackend")
        return client

    return login
