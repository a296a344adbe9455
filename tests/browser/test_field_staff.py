"""The steward programme and the field records in a browser: a resident applies from their page, community staff
select them, record a training session with attendance and activate them for a grid, and the new steward finds the
field pages; then the staff pages of field work, on a phone, over the demo field work of the tiny street."""

from __future__ import annotations

import random
from typing import Any

import pytest

from .conftest import PHONE, Page
from .test_field_offline import _media, _shipped_data  # noqa: F401 (autouse fixtures)

pytestmark = pytest.mark.browser


def assert_fits_phone(p: Page) -> None:
    overflow = p.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{p.page.url} is {overflow}px wider than a 390px phone screen"


def test_a_resident_applies_is_trained_and_activated_as_a_steward(new_page: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.stewards.models import ApplicationStatus, StewardApplication

    resident = new_page(PHONE)
    resident.login("resident_demo")
    resident.goto("/accounts/me/")
    resident.page.get_by_test_id("steward-invite").get_by_role("link").click()
    resident.page.fill("#id_motivation", "退休在家，熟悉小区，想帮邻居们做点事")
    resident.page.fill("#id_skills", "会调解邻里矛盾")
    with resident.page.expect_navigation():
        resident.page.get_by_test_id("apply-form").locator("button[type=submit]").click()
    assert "申请" in resident.testid("my-applications") or "Applied" in resident.testid("my-applications")
    assert_fits_phone(resident)
    resident.screenshot("-1-applied-phone")
    app = StewardApplication.objects.get(applicant__username="resident_demo")
    assert app.status == ApplicationStatus.APPLIED

    staff = new_page(PHONE)
    staff.login("wanjia_staff")
    staff.goto("/field/stewards/")
    row = staff.page.get_by_test_id("applications").locator("tr", has_text="退休在家")
    with staff.page.expect_navigation():
        row.locator("button[value=select]").click()
    app.refresh_from_db()
    assert app.status == ApplicationStatus.SELECTED
    form = staff.page.get_by_test_id("training-form")
    form.locator("#id_community").select_option(str(app.community_id))
    form.locator("#id_title").fill("小巷管家岗前培训")
    form.locator("#id_trainer").fill("街道网格办")
    form.get_by_label(str(app.applicant), exact=False).first.check()
    with staff.page.expect_navigation():
        form.locator("button[type=submit]").click()
    row = staff.page.get_by_test_id("applications").locator("tr", has_text="退休在家")
    grid_select = row.locator("select")
    grid_select.select_option(index=1)
    with staff.page.expect_navigation():
        row.locator("button[type=submit]").click()
    app.refresh_from_db()
    user = User.objects.get(username="resident_demo")
    assert app.status == ApplicationStatus.ACTIVE and user.role == "steward" and user.grid_id == app.grid_id
    assert_fits_phone(staff)
    staff.screenshot("-2-programme-phone")

    resident.goto("/field/")
    assert resident.page.get_by_test_id("start-patrol-link").is_visible()
    resident.screenshot("-3-new-steward-home-phone")


def test_community_staff_read_the_field_records_of_their_grids_on_a_phone(new_page: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.fieldwork.demo import seed_fieldwork

    seed_fieldwork(random.Random(4))
    grid = User.objects.get(username="wanjia01_worker").grid
    assert grid is not None
    staff = new_page(PHONE)
    staff.login("wanjia_staff")
    pages = [
        ("/field/overview/", "field-overview"),
        (f"/field/stewards/grid/{grid.pk}/", "roster"),
        (f"/field/patrols/grid/{grid.pk}/", "findings"),
        (f"/field/visits/grid/{grid.pk}/", "due-visits"),
        (f"/field/fire-safety/grid/{grid.pk}/", "expired-count"),
        (f"/field/disputes/?grid={grid.pk}", "disputes"),
        ("/field/disputes/screening/", "missing-grids"),
    ]
    for n, (path, testid) in enumerate(pages, start=1):
        response = staff.goto(path)
        assert response is not None and response.status == 200, path
        assert staff.page.get_by_test_id(testid).is_visible(), path
        assert_fits_phone(staff)
        staff.screenshot(f"-{n}-{testid}-phone")
    # The keyboard reaches the first grid's patrols from the overview.
    staff.goto("/field/overview/")
    link = staff.page.get_by_test_id("field-overview").locator("a").first
    link.focus()
    with staff.page.expect_navigation():
        staff.page.keyboard.press("Enter")
    assert "/field/stewards/grid/" in staff.page.url
