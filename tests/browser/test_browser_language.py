"""The language selector in the top bar: Chinese by default, English on request, and back."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.browser


def test_language_switch_to_english_and_back(new_page: Any) -> None:
    from django.utils import translation

    # What the Chinese catalogue (locale/zh_Hans) says, so the test follows the translations as they grow.
    with translation.override("zh-hans"):
        map_heading_zh = translation.gettext("Map of grids")

    p = new_page()
    p.login("wanjia_staff")
    community_url = p.page.url
    heading = p.page.locator("h2").first
    assert p.page.locator("html").get_attribute("lang") == "zh-hans"
    assert heading.inner_text().strip() == map_heading_zh

    with p.page.expect_navigation():
        p.page.select_option("#lang-select", "en")
    assert p.page.url == community_url  # back on the same page
    assert p.page.locator("html").get_attribute("lang") == "en"
    assert heading.inner_text().strip() == "Map of grids"
    assert p.page.locator("#lang-select").input_value() == "en"
    p.wait_for_map()
    p.screenshot("-english")

    with p.page.expect_navigation():
        p.page.select_option("#lang-select", "zh-hans")
    assert p.page.locator("html").get_attribute("lang") == "zh-hans"
    assert heading.inner_text().strip() == map_heading_zh
    p.wait_for_map()
    p.screenshot()
