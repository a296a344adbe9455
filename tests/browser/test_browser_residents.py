"""Residents in a real browser: a resident links to their household (on a phone), staff reveal an ID number."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PHONE

pytestmark = pytest.mark.browser

RESIDENT_PHONE = "13912345678"
RESIDENT_PASSWORD = "my-own-secret-2026"


def test_resident_registers_and_is_linked_to_household(new_page: Any) -> None:
    from civicgrid.accounts.models import HouseholdLinkRequest
    from civicgrid.people.models import Household

    household = (
        Household.objects.filter(grid__community__name="万家社区")
        .select_related("house__building")
        .order_by("code")
        .first()
    )
    assert household is not None
    address = f"{household.house.building.name} {household.house.room}"

    # On a phone: register with a phone number and a password, land on "my page".
    me = new_page(PHONE)
    me.goto("/accounts/login/")
    me.screenshot("-login")
    with me.page.expect_navigation():
        me.page.locator('a[href$="/accounts/register/"]').click()
    me.page.fill("#id_display_name", household.head_name)
    me.page.fill("#id_phone", RESIDENT_PHONE)
    me.page.fill("#id_password", RESIDENT_PASSWORD)
    with me.page.expect_navigation():
        me.page.locator("form.stacked button[type=submit]").click()
    assert me.page.url.endswith("/accounts/me/"), me.page.url
    assert me.page.locator(".messages li").count() == 1
    assert me.page.get_by_test_id("my-household").count() == 0

    # Ask to be linked: community, building and room, the name the household is registered under.
    me.page.select_option("#id_community", label="万家社区")
    me.page.fill("#id_address_text", address)
    me.page.fill("#id_name_given", household.head_name)
    with me.page.expect_navigation():
        me.page.locator("form.stacked button[type=submit]").click()
    req = HouseholdLinkRequest.objects.get(address_text=address)
    assert req.status == "pending" and req.community.name == "万家社区"
    assert address in me.page.locator("main").inner_text()
    me.screenshot("-requested")

    # Community staff, on their own computer, confirm the request with the household code.
    staff = new_page()
    staff.login("wanjia_staff")
    with staff.page.expect_navigation():
        staff.page.locator('nav a[href$="/accounts/link-requests/"]').click()
    card = staff.page.locator(".card", has_text=address)
    assert card.count() == 1
    card.locator('input[name="household_code"]').fill(household.code)
    staff.screenshot("-staff-request")
    with staff.page.expect_navigation():
        card.locator('button[value="approve"]').click()
    assert staff.page.locator(".messages li.success").count() == 1, staff.page.locator("main").inner_text()
    staff.screenshot("-staff")
    req.refresh_from_db()
    assert req.status == "approved" and req.household_id == household.pk

    # The resident reloads their page and sees the household.
    me.page.reload()
    mine = me.page.get_by_test_id("my-household")
    assert household.code in mine.inner_text()
    assert me.page.locator("#id_address_text").count() == 0  # no second request offered
    overflow = me.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"my page is {overflow}px wider than the phone screen"
    me.screenshot()


def test_staff_reveals_id_number_with_reason(new_page: Any) -> None:
    from civicgrid.audit.models import AuditEvent
    from civicgrid.core import crypto
    from civicgrid.people.models import Resident

    resident = (
        Resident.objects.filter(grid__community__name="万家社区").exclude(id_number_cipher="").order_by("id").first()
    )
    assert resident is not None
    plain = crypto.decrypt(resident.id_number_cipher)
    reveals = AuditEvent.objects.filter(action="people.reveal_id_number", target_id=str(resident.pk))

    p = new_page()
    p.login("wanjia_staff")
    with p.page.expect_navigation():
        p.page.locator('nav a[href$="/people/residents/"]').click()
    p.page.fill('input[name="q"]', resident.name)
    with p.page.expect_navigation():
        p.page.locator("form[role=search] button").click()
    with p.page.expect_navigation():
        p.page.locator(f'table a[href$="/people/residents/{resident.pk}/"]').first.click()
    assert resident.name in p.page.locator("h1").inner_text()
    assert plain not in p.page.locator("main").inner_text()  # masked until revealed
    p.page.evaluate("window.__samePage = true")  # gone if anything below reloads the page

    box = p.page.locator("#reveal-id_number")
    reason = box.locator('input[name="reason"]')
    # No reason at all: the browser itself refuses to send the form and says why.
    box.locator("button").click()
    assert reason.evaluate("el => el.validity.valueMissing") is True
    assert reason.evaluate("el => el.validationMessage")
    # A blank reason gets past the browser: the server answers with a clear message in place, and reveals nothing.
    reason.fill("    ")
    box.locator("button").click()
    error = p.page.locator("#reveal-id_number [role=alert]")
    error.wait_for()
    assert "4" in error.inner_text()  # names the minimum length
    assert plain not in p.page.locator("main").inner_text()
    assert reveals.count() == 0
    p.screenshot("-no-reason")

    # With a reason: htmx swaps in the plain number, and the reveal is in the audit trail.
    p.page.locator('#reveal-id_number input[name="reason"]').fill("核实低保申请材料")
    p.page.locator("#reveal-id_number button").click()
    shown = p.page.get_by_test_id("revealed-id_number")
    shown.wait_for()
    assert shown.inner_text().strip() == plain
    assert p.page.evaluate("window.__samePage") is True  # swapped in place, not a page load
    event = reveals.get()
    assert event.actor is not None and event.actor.username == "wanjia_staff"
    assert event.reason == "核实低保申请材料"
    p.screenshot()
    p.page.set_viewport_size(PHONE)
    p.screenshot("-phone")
