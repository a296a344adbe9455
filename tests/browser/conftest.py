"""Browser tests: Debian's Chromium driven by Playwright (sync API) against pytest-django's live server.

The live server needs a transactional database, which is flushed after each test: the `world` fixture
seeds the tiny demo street again whenever it finds the database empty. Every test leaves a screenshot of
its final page in test-artifacts/<test name>.png (and of the page where it failed, if it failed).
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CIVICGRID_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
DEMO_PASSWORD = "civicgrid-demo-2026"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: install Debian's chromium package (see .ci/run).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def world(live_server: Any, settings: Any) -> Any:
    """The tiny demo street, present in the (transactional) test database; returns the live server."""
    from civicgrid.areas.models import Street
    from conftest import seed_tiny_world

    # The session seed hashed the demo password with the production hasher (Argon2), a re-seed hashes it
    # with the fast test hasher: accept both, so logging in through the real form works either way.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.Argon2PasswordHasher",
    ]
    if not Street.objects.exists():
        seed_tiny_world()
    return live_server


class Page:
    """A Playwright page with the live server's address and the checks every browser test wants."""

    def __init__(self, page: Any, base_url: str, test_name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.test_name = test_name
        self.problems: list[str] = []
        page.on("pageerror", lambda exc: self.problems.append(f"JavaScript error: {exc}"))
        page.on("console", self._console)
        page.on("response", self._response)

    def _console(self, msg: Any) -> None:
        if msg.type == "error" and "status of 40" not in msg.text:  # 403/404 pages are checked by status below
            self.problems.append(f"console error: {msg.text}")

    def _response(self, response: Any) -> None:
        if response.status >= 500 or ("/static/" in response.url and response.status >= 400):
            self.problems.append(f"{response.request.method} {response.url}: HTTP {response.status}")

    def goto(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.goto("/accounts/login/")
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", password)
        with self.page.expect_navigation():
            self.page.click("form.stacked button[type=submit]")
        assert "/accounts/login/" not in self.page.url, f"login as {username} failed: still on {self.page.url}"

    def logout(self) -> None:
        with self.page.expect_navigation():
            self.page.click(".who form button")

    def screenshot(self, suffix: str = "") -> Path:
        """test-artifacts/<test name><suffix>.png, the whole page."""
        ARTIFACTS.mkdir(exist_ok=True)
        name = self.test_name + suffix
        path = ARTIFACTS / (re.sub(r"[^\w.-]+", "_", name) + ".png")
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def wait_for_map(self) -> Any:
        el = self.page.locator("[data-map].map-ready")
        el.wait_for(state="attached", timeout=10_000)
        return el

    def testid(self, name: str) -> str:
        return self.page.get_by_test_id(name).inner_text().strip()


@pytest.fixture
def new_page(browser: Any, world: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """new_page(viewport=DESKTOP) → a Page in a fresh browser context (its own cookies), Chinese first."""
    contexts: list[Any] = []
    pages: list[Page] = []

    def make(viewport: dict[str, int] = DESKTOP) -> Page:
        ctx = browser.new_context(viewport=viewport, locale="zh-CN", accept_downloads=True)
        ctx.set_default_timeout(15_000)
        contexts.append(ctx)
        page = Page(ctx.new_page(), world.url, request.node.name)
        pages.append(page)
        return page

    yield make
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        for i, p in enumerate(pages):
            with contextlib.suppress(Exception):  # the page may be gone already
                p.screenshot(f"-FAILED-{i}")
    for ctx in contexts:
        ctx.close()
    for p in pages:
        assert not p.problems, "\n".join(p.problems)
