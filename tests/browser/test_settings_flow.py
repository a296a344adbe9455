"""The street admin edits what the product ships: a category's time limit and a public holiday."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from .conftest import ARTIFACTS, PHONE

pytestmark = pytest.mark.browser


def test_street_admin_changes_a_limit_and_adds_a_holiday(new_page: Any) -> None:
    from civicgrid.audit.models import AuditEvent
    from civicgrid.cases.models import CalendarDay, Category

    cat = Category.objects.get(code="0101")
    new_limit = cat.resolve_minutes + 60
    # A weekday of next year that the calendar does not list yet.
    day = date(date.today().year + 1, 3, 2)
    while day.weekday() >= 5 or CalendarDay.objects.filter(date=day).exists():
        day += timedelta(days=1)

    p = new_page()
    p.login("jj_admin")
    with p.page.expect_navigation():
        p.page.get_by_role("link", name="设置", exact=True).click()
    assert p.page.url.endswith("/cases/settings/"), p.page.url

    # The category: open its row, change the limit, save.
    row = p.page.get_by_test_id("cat-0101")
    row.locator("summary").click()
    p.page.get_by_label("处理时限（分钟）").first.wait_for()
    p.page.fill("#c-0101-resolve_minutes", str(new_limit))
    with p.page.expect_navigation():
        row.locator("button[type=submit]").click()
    assert "0101" in p.page.locator(".messages").inner_text()
    cat.refresh_from_db()
    assert cat.resolve_minutes == new_limit
    assert str(new_limit) in p.page.get_by_test_id("cat-0101").locator("summary").inner_text()

    # The calendar: a holiday on a weekday of next year.
    p.page.fill("#cal-date", day.isoformat())
    p.page.select_option("#cal-kind", "holiday")
    p.page.fill("#cal-note", "街道运动会")
    with p.page.expect_navigation():
        p.page.get_by_test_id("calendar-add").locator("button[type=submit]").click()
    listed = p.page.get_by_test_id(f"day-{day.isoformat()}")
    assert "街道运动会" in listed.inner_text()
    assert not CalendarDay.objects.get(date=day).is_workday
    assert AuditEvent.objects.filter(action="cases.update_category").exists()
    assert AuditEvent.objects.filter(action="cases.update_calendar", target_id=day.isoformat()).exists()
    listed.scroll_into_view_if_needed()
    p.screenshot()

    # On a phone the page fits the screen (only the tables may scroll sideways).
    p.page.set_viewport_size(PHONE)
    overflow = p.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 390px phone screen"
    p.screenshot("-phone")
    p.page.get_by_test_id("cat-0102").locator("summary").click()
    p.page.get_by_test_id("cat-0102").scroll_into_view_if_needed()
    p.page.screenshot(path=str(ARTIFACTS / f"{p.test_name}-phone-form.png"))  # the screen only, the form open
