"""Street → community → grid in a real browser: logging in, the maps, the counts, and what a grid worker may see."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import PHONE, Page

pytestmark = pytest.mark.browser


def overlay_paths(p: Page) -> int:
    return p.page.locator(".leaflet-overlay-pane path").count()


def assert_fits_phone(p: Page) -> None:
    """At phone width nothing but the scrollable tables may be wider than the screen."""
    p.page.set_viewport_size(PHONE)
    overflow = p.page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than a 390px phone screen"


def test_street_admin_street_community_grid(new_page: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Community, Grid
    from civicgrid.people.models import Building, Household, Resident, Unit

    admin = User.objects.get(username="jj_admin")
    p = new_page()
    p.login("jj_admin")

    # Lands on their street, whose map draws every grid of the street.
    assert p.page.url.endswith(f"/areas/streets/{admin.street_id}/"), p.page.url
    assert p.page.locator("h1").inner_text().strip() == admin.street.name
    street_grids = Grid.objects.filter(community__street_id=admin.street_id).count()
    street_map = p.wait_for_map()
    assert street_map.get_attribute("data-features") == str(street_grids)
    assert overlay_paths(p) == street_grids
    assert p.testid("count-grids") == str(street_grids)
    assert p.testid("count-residents") == str(
        Resident.objects.filter(grid__community__street_id=admin.street_id).count()
    )
    p.screenshot("-street")

    # Community 万家社区: one polygon per grid, and the counts the ORM gives.
    community = Community.objects.get(name="万家社区")
    with p.page.expect_navigation():
        p.page.get_by_role("link", name="万家社区", exact=True).click()
    assert p.page.url.endswith(f"/areas/communities/{community.pk}/"), p.page.url
    assert "万家社区" in p.page.locator("h1").inner_text()
    grids = Grid.objects.filter(community=community)
    community_map = p.wait_for_map()
    assert "map-ready" in (community_map.get_attribute("class") or "")
    assert community_map.get_attribute("data-features") == str(grids.count())
    assert overlay_paths(p) == grids.count() > 0
    in_community = {"grid__community": community}
    assert p.testid("count-grids") == str(grids.count())
    assert p.testid("count-buildings") == str(Building.objects.filter(**in_community).count())
    assert p.testid("count-households") == str(Household.objects.filter(**in_community).count())
    assert p.testid("count-residents") == str(Resident.objects.filter(**in_community).count())
    assert p.testid("count-units") == str(Unit.objects.filter(**in_community).count())
    p.screenshot("-community")

    # A grid: its boundary (highlighted) and its buildings as points; counts again from the ORM.
    grid = grids.order_by("code").first()
    assert grid is not None
    with p.page.expect_navigation():
        p.page.locator(f'table a[href$="/areas/grids/{grid.pk}/"]').click()
    assert grid.name in p.page.locator("h1").inner_text()
    grid_map = p.wait_for_map()
    located = Building.objects.filter(grid=grid, lat__isnull=False, lng__isnull=False).count()
    assert grid_map.get_attribute("data-features") == str(1 + min(located, 200))
    assert overlay_paths(p) == 1 + min(located, 200)
    assert p.page.locator('.leaflet-overlay-pane path[stroke="#c62828"]').count() == 1  # the highlighted grid
    in_grid = {"grid": grid}
    assert p.testid("count-buildings") == str(Building.objects.filter(**in_grid).count())
    assert p.testid("count-households") == str(Household.objects.filter(**in_grid).count())
    assert p.testid("count-residents") == str(Resident.objects.filter(**in_grid).count())
    assert p.testid("count-units") == str(Unit.objects.filter(**in_grid).count())
    assert p.testid("count-stewards") == str(User.objects.filter(grid=grid, role="steward", is_active=True).count())
    p.screenshot()

    assert_fits_phone(p)
    p.screenshot("-phone")


def test_grid_worker_sees_own_grid_only(new_page: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Grid

    worker = User.objects.select_related("grid").get(username="wanjia01_worker")
    p = new_page()
    p.login("wanjia01_worker")

    # Lands on their own grid.
    assert p.page.url.endswith(f"/areas/grids/{worker.grid_id}/"), p.page.url
    assert worker.grid.name in p.page.locator("h1").inner_text()
    assert p.wait_for_map().get_attribute("data-features") is not None
    assert p.page.get_by_test_id("count-residents").is_visible()
    assert_fits_phone(p)
    p.screenshot("-own-grid-phone")
    p.page.set_viewport_size({"width": 1280, "height": 800})

    # Another community's grid, by its address: refused, and nothing of it shown.
    other = Grid.objects.filter(community__name="泉水社区").order_by("code").first()
    assert other is not None
    response = p.goto(f"/areas/grids/{other.pk}/")
    assert response is not None and response.status in (403, 404), response and response.status
    body = p.page.locator("body").inner_text()
    assert other.code not in body
    assert p.page.locator("[data-map]").count() == 0
    assert p.page.get_by_test_id("count-residents").count() == 0
    p.screenshot()
