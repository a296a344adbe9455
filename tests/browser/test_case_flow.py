"""The case loop in a real browser: a resident reports from a phone with a photo, the grid worker accepts and
dispatches, the responder unit acknowledges, starts and resolves, the worker verifies and closes, and the resident
rates it on the tracking page. And a grid worker recording a case solved on the spot."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest

from .conftest import PHONE, Page

pytestmark = pytest.mark.browser

DESCRIPTION = "小区门口的垃圾桶满了，三天没人清运，味道很大"
REPORTER_NAME = "张秀英"
REPORTER_PHONE = "13800138000"


def png_bytes() -> bytes:
    """A small valid PNG (4×4, orange)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xef\x6c\x00" * 4 for _ in range(4))
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def photo(name: str) -> dict[str, Any]:
    return {"name": name, "mimeType": "image/png", "buffer": png_bytes()}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path  # uploaded photos stay out of var/media


@pytest.fixture(autouse=True)
def _case_data(world: Any) -> None:
    """The categories and the working calendar, loaded by a data migration: after the live server's database
    has been flushed by an earlier browser test they are gone, so they are loaded again like the migration does."""
    import importlib

    from django.apps import apps

    from civicgrid.cases import calendar
    from civicgrid.cases.models import Category

    if not Category.objects.exists():
        importlib.import_module("civicgrid.cases.migrations.0002_default_data").load(apps, None)
        calendar.invalidate()


def assert_fits_phone(p: Page) -> None:
    overflow = p.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{p.page.url} is {overflow}px wider than a 390px phone screen"


def tap_map_at(p: Page, lat: float, lng: float) -> None:
    """Tap the report map where a point is (Leaflet turns the point into a pixel of the map box)."""
    box = p.page.locator("[data-pick-map].map-ready")
    box.wait_for(timeout=10_000)
    x, y = p.page.evaluate(
        "([lat, lng]) => { const pt = document.querySelector('[data-pick-map]').leafletMap"
        ".latLngToContainerPoint([lat, lng]); return [pt.x, pt.y]; }",
        [lat, lng],
    )
    box.click(position={"x": x, "y": y})


def timeline_actions(p: Page) -> list[str]:
    return [
        a or ""
        for a in p.page.locator("[data-testid=timeline] li").evaluate_all("els => els.map(e => e.dataset.action)")
    ]


def test_a_phone_report_goes_round_the_loop_to_a_satisfied_rating(new_page: Any) -> None:
    from shapely.geometry import shape

    from civicgrid.accounts.models import User
    from civicgrid.audit.models import AuditEvent
    from civicgrid.cases.choices import Satisfaction, Status
    from civicgrid.cases.models import Case

    grid = User.objects.select_related("grid").get(username="wanjia01_worker").grid
    assert grid is not None
    point = shape(grid.boundary).representative_point()

    # 1. The resident, on a phone, without an account.
    resident = new_page(PHONE)
    resident.goto("/report/")
    resident.page.fill("#id_description", DESCRIPTION)
    resident.page.locator("#suggestions [data-category]").first.wait_for(timeout=10_000)  # suggestions as they type
    resident.page.select_option("#id_category", "0101")
    tap_map_at(resident, point.y, point.x)
    assert grid.name in resident.page.locator("#pick-result").inner_text()
    assert resident.page.input_value("input[name=lat]") != ""
    resident.page.set_input_files("#id_photos", files=[photo("bins.png")])
    resident.page.fill("#id_reporter_name", REPORTER_NAME)
    resident.page.fill("#id_reporter_phone", REPORTER_PHONE)
    assert_fits_phone(resident)
    resident.screenshot("-1-report-phone")
    with resident.page.expect_navigation():
        resident.page.click("button.submit")
    assert "/track/" in resident.page.url
    code = resident.testid("tracking-code")
    case = Case.objects.get(tracking_code=code)
    assert (case.grid, case.status, case.category.code) == (grid, Status.SUBMITTED, "0101")
    assert case.attachments.count() == 1
    html = resident.page.content()
    assert REPORTER_NAME not in html and REPORTER_PHONE not in html
    assert_fits_phone(resident)
    resident.screenshot("-2-tracking-phone")

    # 2. The grid worker of that grid accepts and dispatches from the inbox, one tap each, the row updating in place.
    worker = new_page()
    worker.login("wanjia01_worker")
    worker.goto("/cases/")
    row = worker.page.get_by_test_id(f"case-row-{code}")
    row.locator('[data-step="accept"]').click()
    row.locator('[data-step="dispatch"]').click()
    row.locator('[data-step="dispatch"]').wait_for(state="detached")
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED and case.responder is not None
    assert row.get_by_test_id("row-status").inner_text().strip() == case.get_status_display()
    worker.screenshot("-3-inbox")
    worker.goto("/cases/board/")
    assert worker.page.get_by_test_id(f"case-card-{code}").is_visible()
    worker.page.set_viewport_size(PHONE)
    assert_fits_phone(worker)
    worker.screenshot("-3-board-phone")
    worker.page.set_viewport_size({"width": 1280, "height": 800})

    # 3. The dispatched unit's account acknowledges, starts and resolves with a note and a photo (on a phone).
    unit = new_page(PHONE)
    unit.login(f"resp_{case.responder_id}")
    unit.goto("/cases/queue/")
    row = unit.page.get_by_test_id(f"case-row-{code}")
    row.locator('[data-step="acknowledge"]').click()
    row.locator('[data-step="start"]').click()
    resolve = row.locator("details:has([data-step=resolve])")
    resolve.locator("summary").click()
    resolve.locator("textarea[name=note]").fill("已清运，垃圾桶已冲洗消毒")
    resolve.locator("input[name=photos]").set_input_files(files=[photo("after.png")])
    assert_fits_phone(unit)
    unit.screenshot("-4-queue-phone")
    with unit.page.expect_navigation():
        resolve.locator("[data-step=resolve]").click()
    case.refresh_from_db()
    assert case.status == Status.RESOLVED

    # 4. The worker verifies on site and closes, from the case page.
    worker.goto(f"/cases/{case.pk}/")
    for step in ("verify", "close"):
        with worker.page.expect_navigation():
            worker.page.click(f"[data-testid=actions] [data-step={step}]")
    case.refresh_from_db()
    assert case.status == Status.CLOSED
    worker.page.locator("[data-map].map-ready").wait_for(timeout=10_000)
    assert worker.page.locator("[data-testid=timeline] .photos img").count() == 2
    assert worker.page.locator("[data-testid=timeline] .photos img").first.evaluate("i => i.naturalWidth") == 4
    worker.screenshot("-5-case-page")

    # The worker's bell counts what is unread (the new case, the resolution); the inbox marks one read in place.
    unread = int(worker.testid("nav-unread"))
    assert unread >= 2
    worker.goto("/notifications/")
    first = worker.page.get_by_test_id("notification").first
    first.locator("form button").click()
    first.locator("form").wait_for(state="detached")
    worker.page.reload()
    assert int(worker.testid("nav-unread")) == unread - 1
    worker.screenshot("-7-notifications")

    # 5. The resident rates it on the tracking page.
    resident.goto(f"/track/{code}/")
    resident.page.check(f"input[name=satisfaction][value={Satisfaction.SATISFIED}]")
    resident.page.fill("#id_comment", "处理很及时，谢谢")
    with resident.page.expect_navigation():
        resident.page.click("#survey button[type=submit]")
    case.refresh_from_db()
    assert (case.status, case.satisfaction) == (Status.SURVEYED, Satisfaction.SATISFIED)
    assert AuditEvent.objects.filter(action="cases.survey", target_id=str(case.pk), actor=None).exists()
    assert resident.testid("case-status") == case.get_status_display()
    assert timeline_actions(resident) == [
        "submit",
        "accept",
        "dispatch",
        "acknowledge",
        "start",
        "resolve",
        "verify",
        "close",
        "survey",
    ]
    html = resident.page.content()
    assert REPORTER_NAME not in html and REPORTER_PHONE not in html
    assert_fits_phone(resident)
    resident.screenshot("-6-rated-phone")


def test_a_grid_worker_records_a_case_solved_on_the_spot(new_page: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.cases.choices import Channel, Status
    from civicgrid.cases.models import Case
    from civicgrid.people.models import Building

    worker_user = User.objects.get(username="wanjia01_worker")
    building = Building.objects.filter(grid_id=worker_user.grid_id).order_by("code")[0]
    p = new_page(PHONE)
    p.login("wanjia01_worker")
    p.goto("/cases/")
    with p.page.expect_navigation():
        p.page.click("a[href='/cases/new/']")
    assert p.page.input_value("#id_grid") == str(worker_user.grid_id)  # their own grid, chosen already
    p.page.select_option("#id_channel", Channel.PATROL)
    p.page.fill("#id_description", "巡查发现单元门口堆放废旧纸箱，堵住了通道")
    p.page.select_option("#id_category", "0103")
    p.page.select_option("#id_building", str(building.pk))
    p.page.fill("#id_note", "已联系住户当场清走纸箱，通道畅通")
    p.page.set_input_files("#id_photos", files=[photo("cleared.png")])
    assert_fits_phone(p)
    p.screenshot("-1-form-phone")
    with p.page.expect_navigation():
        p.page.click("button[value=on_the_spot]")
    case = Case.objects.latest("created_at")
    assert p.page.url.endswith(f"/cases/{case.pk}/")
    assert (case.status, case.on_the_spot, case.channel) == (Status.CLOSED, True, Channel.PATROL)
    assert (case.owner, case.building, case.recorded_by) == (worker_user, building, worker_user)
    assert p.testid("case-status") == case.get_status_display()
    assert [a for a in timeline_actions(p)] == ["submit", "solve_on_the_spot"]
    assert p.page.locator("[data-testid=timeline] .photos img").count() == 1
    assert_fits_phone(p)
    p.screenshot("-2-case-phone")
