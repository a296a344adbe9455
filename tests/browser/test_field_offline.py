"""The field pages on a phone without a network: a steward opens the patrol page once online, loses the network,
records a patrol with three findings (one with a photo) and a household visit, reloads the pages while still
offline (the service worker serves them, the queue in IndexedDB survives), and when the network returns exactly
those records arrive, once. Sending the same entries again (an answer lost on the way back) duplicates nothing."""

from __future__ import annotations

import struct
import zlib
from typing import Any

import pytest

from .conftest import PHONE, Page

pytestmark = pytest.mark.browser

STEWARD = "wanjia01_steward1"


def png_bytes() -> bytes:
    """A small valid PNG (4×4, orange): what a phone camera would hand over, only smaller."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + b"\xef\x6c\x00" * 4 for _ in range(4))
    ihdr = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path  # uploaded photos stay out of var/media


@pytest.fixture(autouse=True)
def _shipped_data(transactional_db: Any, live_server: Any) -> None:
    """What data migrations ship (care groups, case categories, calendar, the patrol checklist) is gone after an
    earlier browser test flushed the live server's database: load it again, before the world is seeded."""
    import importlib

    from django.apps import apps

    from civicgrid.cases import calendar
    from civicgrid.cases.models import Category
    from civicgrid.patrols.models import ChecklistItem
    from civicgrid.people.models import CareTag

    if not CareTag.objects.exists():
        importlib.import_module("civicgrid.people.migrations.0002_care_tags").load(apps, None)
    if not Category.objects.exists():
        importlib.import_module("civicgrid.cases.migrations.0002_default_data").load(apps, None)
        calendar.invalidate()
    if not ChecklistItem.objects.exists():
        importlib.import_module("civicgrid.patrols.migrations.0002_default_checklist").load(apps, None)


def shot(p: Page, suffix: str) -> None:
    p.page.evaluate("window.scrollTo(0, 0)")  # the queue line sticks to the top: show it where it belongs
    p.screenshot(suffix)


def pending(p: Page) -> int:
    el = p.page.get_by_test_id("queue-count")
    return int(el.get_attribute("data-pending") or "-1")


def wait_pending(p: Page, n: int) -> None:
    p.page.wait_for_function(
        f"document.querySelector('[data-testid=queue-count]').dataset.pending === '{n}'", timeout=15_000
    )


def record_finding(p: Page, item: str, note: str, *, building: bool, solved: bool = False, photo: bool = False) -> None:
    form = p.page.get_by_test_id("form-finding")
    form.locator(f"#item-{item}").check()
    if photo:
        p.page.get_by_test_id("finding-photo").set_input_files(
            {"name": "bin.png", "mimeType": "image/png", "buffer": png_bytes()}
        )
    if building:
        form.locator("#finding-building").select_option(index=1)
    else:
        form.get_by_role("button", name="使用我的位置").or_(form.locator("[data-action=locate]")).first.click()
        p.page.wait_for_function("document.querySelector('[name=lat]').value !== ''")
    form.locator("#finding-note").fill(note)
    if solved:
        form.locator("#finding-solved").check()
    form.locator("button[type=submit]").click()


def test_a_patrol_and_a_visit_recorded_offline_arrive_exactly_once(new_page: Any, world: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.fieldwork.models import SyncReceipt
    from civicgrid.patrols.models import Finding, Patrol
    from civicgrid.visits.models import Visit

    steward = User.objects.select_related("grid").get(username=STEWARD)
    grid = steward.grid
    p = new_page(PHONE)
    ctx = p.page.context
    ctx.grant_permissions(["geolocation"], origin=world.url)
    ctx.set_geolocation({"latitude": grid.centroid_lat, "longitude": grid.centroid_lng, "accuracy": 15})
    p.login(STEWARD)

    # Online once: the service worker installs and keeps the field pages and their files.
    p.goto("/field/patrol/")
    p.page.wait_for_function("document.documentElement.dataset.offlineReady === '1'", timeout=20_000)
    assert pending(p) == 0
    shot(p, "-1-online")

    ctx.set_offline(True)
    p.page.wait_for_function("!navigator.onLine")
    p.page.get_by_test_id("form-patrol-start").locator("button[type=submit]").click()
    p.page.get_by_test_id("patrol-banner").wait_for(state="visible")
    record_finding(p, "full_bin", "三个垃圾桶都满了", building=True, photo=True)
    wait_pending(p, 2)
    record_finding(p, "ebike_gate", "电动车堵住单元门，已联系车主挪走", building=False, solved=True)
    wait_pending(p, 3)
    record_finding(p, "clutter", "楼道堆放纸箱", building=True)
    wait_pending(p, 4)
    shot(p, "-2-offline-three-findings")

    # Reloading without a network: the page comes from the service worker, the queue and the patrol survive.
    response = p.page.reload()
    assert response is not None and response.from_service_worker
    wait_pending(p, 4)
    assert p.page.get_by_test_id("patrol-banner").is_visible()
    assert "3" in p.testid("patrol-banner")
    shot(p, "-3-offline-reloaded")

    p.page.get_by_test_id("form-patrol-finish").locator("button[type=submit]").click()
    wait_pending(p, 5)
    assert p.page.get_by_test_id("patrol-idle").is_visible()

    # The visit form, never opened before, is there too (cached when the worker installed).
    response = p.goto("/field/visit/")
    assert response is not None and response.from_service_worker
    wait_pending(p, 5)
    household = steward.grid.households.select_related("house__building").order_by("code")[1]
    p.page.get_by_test_id("household-search").fill(household.house.building.name)
    p.page.locator(f"#hh-{household.pk}").check()
    p.page.locator("#visit-found").fill("老人独居，身体尚可，冰箱里食物充足")
    p.page.locator("#visit-needs").fill("希望有人帮忙取药")
    p.page.get_by_test_id("form-visit").locator("button[type=submit]").click()
    wait_pending(p, 6)
    p.page.reload()
    wait_pending(p, 6)
    shot(p, "-4-offline-visit-queued")
    assert Patrol.objects.filter(walker=steward).count() == 0  # nothing has left the phone

    # Keep a copy of the queue, as if the answer to the coming send were lost on the way back.
    p.page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open("civicgrid-field");
            req.onsuccess = () => {
                const all = req.result.transaction("queue").objectStore("queue").getAll();
                all.onsuccess = () => { window.__sent = all.result; resolve(); };
                all.onerror = reject;
            };
        })"""
    )

    ctx.set_offline(False)  # the 'online' event sends the queue
    wait_pending(p, 0)
    assert p.page.get_by_test_id("queue-count").get_attribute("data-errors") == "0"
    shot(p, "-5-online-sent")

    patrol = Patrol.objects.get(walker=steward)
    assert patrol.finished_at is not None and patrol.grid_id == grid.pk
    findings = {f.item.code: f for f in Finding.objects.filter(patrol=patrol).select_related("item", "case")}
    assert set(findings) == {"full_bin", "ebike_gate", "clutter"}
    assert findings["full_bin"].photo and findings["full_bin"].building_id is not None
    assert findings["ebike_gate"].solved_on_spot and findings["ebike_gate"].case is None
    assert findings["ebike_gate"].lat == pytest.approx(grid.centroid_lat)
    assert findings["full_bin"].case is not None and findings["clutter"].case is not None
    assert findings["full_bin"].case.category.code == "0101"
    visit = Visit.objects.get(visitor=steward)
    assert visit.household_id == household.pk and "取药" in visit.needs
    assert SyncReceipt.objects.filter(user=steward).count() == 6  # start, 3 findings, finish, visit

    # The same six entries again (the phone never heard back): all answered "duplicate", nothing is made twice.
    p.page.evaluate(
        """() => new Promise((resolve, reject) => {
            const req = indexedDB.open("civicgrid-field");
            req.onsuccess = () => {
                const tx = req.result.transaction("queue", "readwrite");
                window.__sent.forEach((e) => tx.objectStore("queue").put(e));
                tx.oncomplete = resolve; tx.onerror = reject;
            };
        })"""
    )
    p.page.reload()  # on load the page sends what waits
    wait_pending(p, 0)
    assert Patrol.objects.filter(walker=steward).count() == 1
    assert Finding.objects.filter(patrol__walker=steward).count() == 3
    assert Visit.objects.filter(visitor=steward).count() == 1
    assert SyncReceipt.objects.filter(user=steward).count() == 6
    shot(p, "-6-resent-no-duplicates")


def test_an_entry_the_server_refuses_is_kept_shown_corrected_and_sent_again(new_page: Any, world: Any) -> None:
    from civicgrid.accounts.models import User
    from civicgrid.disputes.models import Dispute, DisputeParty

    steward = User.objects.get(username=STEWARD)
    p = new_page(PHONE)
    p.login(STEWARD)
    p.goto("/field/dispute/")
    form = p.page.get_by_test_id("form-dispute")
    form.locator("#dispute-kind").select_option("neighbour")
    form.locator("#dispute-summary").fill("楼上漏水，楼下要求赔偿")
    form.locator("[data-party=name]").first.fill("王五")
    form.locator("[data-party=phone]").first.fill("12345678901")  # looks like a mobile, but no carrier uses 12…
    form.locator("button[type=submit]").click()
    errors = p.page.get_by_test_id("queue-errors")
    errors.locator("li").wait_for()
    assert p.page.get_by_test_id("queue-count").get_attribute("data-errors") == "1"
    assert pending(p) == 0
    message = errors.locator(".msg").inner_text()
    assert message and ("电话" in message or "phone" in message.lower())
    shot(p, "-1-refused")
    assert not Dispute.objects.filter(mediator=steward).exists()

    with p.page.expect_navigation():
        errors.get_by_role("link").click()  # Correct: the entry opens in its form
    assert p.page.get_by_test_id("edit-note").is_visible()
    assert p.page.locator("[data-party=name]").first.input_value() == "王五"
    p.page.locator("[data-party=phone]").first.fill("13912345678")
    p.page.get_by_test_id("form-dispute").locator("button[type=submit]").click()
    p.page.wait_for_function(
        "document.querySelector('[data-testid=queue-count]').dataset.errors === '0'"
        " && document.querySelector('[data-testid=queue-count]').dataset.pending === '0'"
    )
    dispute = Dispute.objects.get(mediator=steward)
    assert DisputeParty.objects.get(dispute=dispute).phone_masked == "139****5678"
    shot(p, "-2-corrected-and-sent")
