"""The case pages through Django's test client: the public report and tracking pages, the staff lists with their
one-tap steps, the case page with its panels, recording a case, and the notifications inbox."""

from __future__ import annotations

import re
import struct
import uuid
import zlib
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Grid
from civicgrid.audit.models import AuditEvent
from civicgrid.cases import services
from civicgrid.cases.choices import Channel, ExtensionStatus, Satisfaction, Status
from civicgrid.cases.models import Case, CaseAttachment, CaseEvent, ExtensionRequest, IdempotencyKey, WhistleSummons
from civicgrid.cases.services import Intake
from civicgrid.notifications.models import Notification
from civicgrid.people.models import Building
from civicgrid.responders.models import Responder

pytestmark = pytest.mark.django_db

REPORTER_NAME = "王小明"
REPORTER_PHONE = "13912345678"
HTMX = {"HTTP_HX_REQUEST": "true"}


def png_bytes() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def photo(name: str = "bin.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes(), content_type="image/png")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def report(
    grid: Grid, text: str = "小区门口垃圾桶满了，三天没人清运，味道很大 <script>alert(1)</script>", **kw: Any
) -> Case:
    data = Intake(
        description=text,
        category_code=kw.pop("category_code", "0101"),
        grid_id=grid.pk,
        reporter_name=REPORTER_NAME,
        reporter_phone=REPORTER_PHONE,
        **kw,
    )
    case, _created = services.submit_case(None, data)
    return case


def responder_user(case: Case) -> User:
    return User.objects.filter(role=Role.RESPONDER, responder_id=case.responder_id).order_by("id")[0]


def walk(case: Case, worker: Any, *steps: str) -> Case:
    """Take steps through the services as the right people (worker for the dispatcher side, unit for the rest)."""
    for name in steps:
        case.refresh_from_db()
        actor = responder_user(case) if name in ("acknowledge", "start", "resolve") else worker
        case = services.take_step(actor, case, name, "已处理完毕" if name == "resolve" else "")
    return case


def report_post(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "description": "楼道里堆满了旧家具，挡住了消防通道",
        "category": "0103",
        "address_text": "",
        "community": "",
        "grid": "",
        "building": "",
        "lat": "",
        "lng": "",
        "reporter_name": REPORTER_NAME,
        "reporter_phone": REPORTER_PHONE,
        "client_id": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


# --- the public report page ---------------------------------------------------------------------------------


def test_the_report_page_offers_three_ways_to_say_where_and_a_client_id(client: Any) -> None:
    response = client.get(reverse("public:report"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-pick-map="grids-geojson"' in html
    assert 'name="community"' in html and 'name="grid"' in html and 'name="building"' in html
    assert 'name="address_text"' in html
    assert re.search(r'name="photos"[^>]*accept="image/\*"|accept="image/\*"[^>]*name="photos"', html)
    client_id = re.search(r'name="client_id" value="([0-9a-f-]{36})"', html)
    assert client_id and uuid.UUID(client_id.group(1))
    # The public map names grids but links to no staff page.
    geojson = response.context["geojson"]
    assert geojson["features"] and all("url" not in f["properties"] for f in geojson["features"])


def test_a_resident_reports_by_building_without_an_account_and_lands_on_the_tracking_page(
    client: Any, grid_a: Grid
) -> None:
    building = Building.objects.filter(grid=grid_a).order_by("code")[0]
    post = report_post(community=grid_a.community_id, grid=grid_a.pk, building=building.pk, photos=[photo()])
    response = client.post(reverse("public:report"), post)
    case = Case.objects.get(idempotency_key_case(post["client_id"]))
    assert response.status_code == 302 and response.url == reverse("public:track", args=[case.tracking_code])
    assert (case.grid, case.building, case.channel) == (grid_a, building, Channel.WEB)
    assert case.reporter_name == REPORTER_NAME and case.reporter_phone_masked.endswith("5678")
    assert case.attachments.count() == 1


def idempotency_key_case(key: str) -> Any:
    from django.db.models import Q

    return Q(pk__in=IdempotencyKey.objects.filter(key=key).values("case_id"))


def test_a_report_by_map_point_is_routed_to_the_grid_under_the_point(client: Any, grid_a: Grid) -> None:
    from shapely.geometry import shape

    point = shape(grid_a.boundary).representative_point()
    post = report_post(lat=f"{point.y:.6f}", lng=f"{point.x:.6f}")
    assert client.post(reverse("public:report"), post).status_code == 302
    assert Case.objects.get(idempotency_key_case(post["client_id"])).grid == grid_a


def test_a_double_submit_with_the_same_client_id_creates_one_case(client: Any, grid_a: Grid) -> None:
    post = report_post(grid=grid_a.pk)
    before = Case.objects.count()
    first = client.post(reverse("public:report"), post)
    second = client.post(reverse("public:report"), post)
    assert Case.objects.count() == before + 1
    assert first.status_code == second.status_code == 302
    assert first.url == second.url


def test_a_bad_photo_re_renders_the_form_with_a_message_naming_the_photos(client: Any, grid_a: Grid) -> None:
    fake = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not an image at all", content_type="image/png")
    post = report_post(grid=grid_a.pk, photos=[fake])
    before = Case.objects.count()
    response = client.post(reverse("public:report"), post)
    assert response.status_code == 400
    assert Case.objects.count() == before
    errors = response.context["form"].errors["photos"]
    assert any("照片" in e or "Photos" in e for e in errors)
    html = response.content.decode()
    assert 'data-testid="form-errors"' in html and "virus.png" in html
    # What the resident typed is kept, and so is the client id (a retry stays one submission).
    assert "楼道里堆满了旧家具" in html and post["client_id"] in html


def test_a_report_without_a_description_names_the_field(client: Any, grid_a: Grid) -> None:
    response = client.post(reverse("public:report"), report_post(description="  ", grid=grid_a.pk))
    assert response.status_code == 400
    [error] = response.context["form"].errors["description"]
    assert str(response.context["form"].fields["description"].label) in error


def test_a_report_without_any_place_asks_for_one_of_the_three_ways(client: Any) -> None:
    response = client.post(reverse("public:report"), report_post())
    assert response.status_code == 400
    [error] = response.context["form"].errors["address_text"]
    assert "地图" in error or "map" in error


def test_a_bad_phone_is_refused_naming_the_phone(client: Any, grid_a: Grid) -> None:
    response = client.post(reverse("public:report"), report_post(grid=grid_a.pk, reporter_phone="12345"))
    assert response.status_code == 400
    assert response.context["form"].errors["reporter_phone"]


def test_an_anonymous_report_keeps_no_name_or_phone(client: Any, grid_a: Grid) -> None:
    post = report_post(grid=grid_a.pk, anonymous="on")
    client.post(reverse("public:report"), post)
    case = Case.objects.get(idempotency_key_case(post["client_id"]))
    assert case.anonymous and not case.reporter_name and not case.reporter_phone_cipher


def test_the_community_grid_building_selects_chain(client: Any, grid_a: Grid) -> None:
    grids = client.get(reverse("public:grid_options"), {"community": grid_a.community_id}, **HTMX).content.decode()
    assert f'value="{grid_a.pk}"' in grids
    assert 'id="id_building" name="building" hx-swap-oob="true"' in grids
    other = Grid.objects.exclude(community_id=grid_a.community_id).first()
    assert other is not None and f'value="{other.pk}"' not in grids
    buildings = client.get(reverse("public:building_options"), {"grid": grid_a.pk}, **HTMX).content.decode()
    for b in Building.objects.filter(grid=grid_a)[:3]:
        assert f'value="{b.pk}"' in buildings
    assert "hx-swap-oob" not in buildings


def test_category_suggestions_come_as_chips_to_tap(client: Any) -> None:
    response = client.post(reverse("public:suggest"), {"description": "垃圾桶满了没人清运，垃圾堆在路边"}, **HTMX)
    assert response.status_code == 200
    assert "data-category=" in response.content.decode()
    assert client.post(reverse("public:suggest"), {"description": "啊"}, **HTMX).content.strip() == b""


# --- tracking and the reporter's survey ---------------------------------------------------------------------


def test_the_tracking_page_shows_no_reporter_name_or_phone_and_names_staff_by_role(
    client: Any, worker_a: Any, grid_a: Grid
) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch")
    response = client.get(reverse("public:track", args=[case.tracking_code]))
    html = response.content.decode()
    assert response.status_code == 200
    assert case.tracking_code in html
    for secret in (REPORTER_NAME, REPORTER_PHONE, REPORTER_PHONE[-4:], case.reporter_phone_masked, str(worker_a)):
        assert secret not in html, secret
    assert str(Role.GRID_WORKER.label) in html
    # The description is escaped.
    assert "<script>alert(1)</script>" not in html


def test_the_tracking_page_shows_only_public_events(client: Any, worker_a: Any, grid_a: Grid) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch", "acknowledge", "start")
    services.request_extension(responder_user(case), case, 240, "需要等配件 内部说明")
    html = client.get(reverse("public:track", args=[case.tracking_code])).content.decode()
    assert "内部说明" not in html
    assert html.count("<li data-action=") == CaseEvent.objects.filter(case=case, public=True).count() == 5


def test_a_tracking_code_is_looked_up_case_insensitively_and_unknown_codes_say_so(client: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    response = client.get(reverse("public:track_lookup"), {"code": case.tracking_code.lower()})
    assert response.status_code == 302 and response.url == reverse("public:track", args=[case.tracking_code])
    missing = client.get(reverse("public:track_lookup"), {"code": "ZZZZZZZZ"})
    assert missing.status_code == 404 and "id_code" in missing.content.decode()
    assert client.get(reverse("public:track", args=["ZZZZZZZZ"])).status_code == 404


def test_the_reporter_rates_a_closed_case_with_the_tracking_code(client: Any, worker_a: Any, grid_a: Grid) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch", "acknowledge", "start", "resolve", "verify", "close")
    page = client.get(reverse("public:track", args=[case.tracking_code])).content.decode()
    assert 'name="satisfaction"' in page
    response = client.post(
        reverse("public:survey", args=[case.tracking_code]), {"satisfaction": Satisfaction.SATISFIED, "comment": "很快"}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.satisfaction) == (Status.SURVEYED, Satisfaction.SATISFIED)
    event = AuditEvent.objects.filter(action="cases.survey", target_id=str(case.pk)).get()
    assert event.actor is None
    assert CaseEvent.objects.get(case=case, action="survey").actor is None
    # Once rated, the form is gone and a second rating is refused.
    again = client.post(reverse("public:survey", args=[case.tracking_code]), {"satisfaction": Satisfaction.UNSATISFIED})
    assert again.status_code == 400
    case.refresh_from_db()
    assert case.satisfaction == Satisfaction.SATISFIED


def test_an_unsatisfied_reporter_sends_the_case_back_to_work(client: Any, worker_a: Any, grid_a: Grid) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch", "acknowledge", "start", "resolve", "verify", "close")
    client.post(reverse("public:survey", args=[case.tracking_code]), {"satisfaction": Satisfaction.UNSATISFIED})
    case.refresh_from_db()
    assert (case.status, case.redo_count) == (Status.IN_PROGRESS, 1)


def test_a_survey_without_a_rating_or_before_closure_is_refused(client: Any, worker_a: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    response = client.post(reverse("public:survey", args=[case.tracking_code]), {"satisfaction": "satisfied"})
    assert response.status_code == 400
    case = walk(case, worker_a, "accept", "dispatch", "acknowledge", "start", "resolve", "verify", "close")
    response = client.post(reverse("public:survey", args=[case.tracking_code]), {"satisfaction": ""})
    assert response.status_code == 400 and response.context["survey_error"]
    case.refresh_from_db()
    assert case.status == Status.CLOSED


# --- scope ----------------------------------------------------------------------------------------------------


def test_the_staff_pages_need_a_login(client: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    for url in (reverse("cases:inbox"), reverse("cases:detail", args=[case.pk]), reverse("cases:new")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_case_outside_the_users_scope_is_a_404(client_as: Any, worker_b: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    c = client_as(worker_b)
    assert c.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert c.post(reverse("cases:step", args=[case.pk, "accept"])).status_code == 404
    assert c.post(reverse("cases:step", args=[case.pk, "accept"]), {"list": "inbox"}, **HTMX).status_code == 404
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_responder_sees_only_cases_dispatched_to_their_unit(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch")
    mine = responder_user(case)
    other = User.objects.filter(role=Role.RESPONDER).exclude(responder_id=case.responder_id).first()
    assert client_as(mine).get(reverse("cases:detail", args=[case.pk])).status_code == 200
    assert client_as(other).get(reverse("cases:detail", args=[case.pk])).status_code == 404


# --- the inbox and its one-tap steps -------------------------------------------------------------------------


def test_the_inbox_lists_open_cases_of_the_grid_overdue_first(
    client_as: Any, worker_a: Any, grid_a: Grid, grid_b: Grid
) -> None:
    mine, late = report(grid_a), report(grid_a, "路灯坏了好几天")
    Case.objects.filter(pk=late.pk).update(overdue=True)
    theirs = report(grid_b)
    response = client_as(worker_a).get(reverse("cases:inbox"))
    rows = response.context["rows"]
    codes = [c.tracking_code for c in rows]
    assert codes[0] == late.tracking_code and mine.tracking_code in codes and theirs.tracking_code not in codes
    html = response.content.decode()
    assert 'data-testid="overdue"' in html
    assert 'data-step="accept"' in html


def test_the_inbox_takes_a_constant_number_of_queries(
    client_as: Any, worker_a: Any, grid_a: Grid, django_assert_max_num_queries: Any
) -> None:
    for _ in range(2):
        report(grid_a)
    c = client_as(worker_a)
    c.get(reverse("cases:inbox"))  # warm the session
    with django_assert_max_num_queries(14) as few:
        c.get(reverse("cases:inbox"))
    for _ in range(8):
        walk(report(grid_a), worker_a, "accept")
    with django_assert_max_num_queries(len(few.captured_queries)):
        c.get(reverse("cases:inbox"))


def test_the_case_page_takes_the_same_number_of_queries_however_long_the_timeline(
    client_as: Any, worker_a: Any, grid_a: Grid, django_assert_max_num_queries: Any
) -> None:
    short = report(grid_a)
    long, _ = services.submit_case(
        None, Intake(description="井盖丢了", category_code="0101", grid_id=grid_a.pk), photos=[photo(), photo("b.png")]
    )
    walk(long, worker_a, "accept", "dispatch", "acknowledge", "start", "resolve", "verify")
    c = client_as(worker_a)
    c.get(reverse("cases:detail", args=[short.pk]))
    with django_assert_max_num_queries(30) as few:
        c.get(reverse("cases:detail", args=[short.pk]))
    with django_assert_max_num_queries(len(few.captured_queries) + 1):  # + the default responder, offered on dispatch
        c.get(reverse("cases:detail", args=[long.pk]))


def test_accept_from_the_inbox_returns_the_row_updated_with_the_next_step(
    client_as: Any, worker_a: Any, grid_a: Grid
) -> None:
    case = report(grid_a)
    response = client_as(worker_a).post(reverse("cases:step", args=[case.pk, "accept"]), {"list": "inbox"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith("<tr") and f'id="case-{case.pk}"' in html
    assert 'data-step="dispatch"' in html and 'data-step="accept"' not in html
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED


def test_dispatch_from_the_inbox_goes_to_the_default_responder(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = walk(report(grid_a), worker_a, "accept")
    client_as(worker_a).post(reverse("cases:step", args=[case.pk, "dispatch"]), {"list": "inbox"}, **HTMX)
    case.refresh_from_db()
    assert case.status == Status.DISPATCHED
    assert case.responder == services.default_responder(case) and case.responder is not None


def test_verify_and_close_from_the_inbox(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch", "acknowledge", "start", "resolve")
    c = client_as(worker_a)
    html = c.post(reverse("cases:step", args=[case.pk, "verify"]), {"list": "inbox"}, **HTMX).content.decode()
    assert 'data-step="close"' in html
    c.post(reverse("cases:step", args=[case.pk, "close"]), {"list": "inbox"}, **HTMX)
    case.refresh_from_db()
    assert case.status == Status.CLOSED


def test_a_one_tap_step_without_htmx_redirects_back_to_the_list(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    response = client_as(worker_a).post(
        reverse("cases:step", args=[case.pk, "accept"]), {"list": "inbox", "next": reverse("cases:inbox")}
    )
    assert response.status_code == 302 and response.url == reverse("cases:inbox")
    assert client_as(worker_a).post(
        reverse("cases:step", args=[case.pk, "dispatch"]), {"next": "https://evil.example/"}
    ).url == reverse("cases:detail", args=[case.pk])


def test_a_step_the_user_may_not_take_is_refused(client_as: Any, steward_a: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    c = client_as(steward_a)
    assert c.post(reverse("cases:step", args=[case.pk, "accept"])).status_code == 403
    row = c.post(reverse("cases:step", args=[case.pk, "accept"]), {"list": "inbox"}, **HTMX)
    assert row.status_code == 200 and 'role="alert"' in row.content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


def test_a_step_in_the_wrong_state_comes_back_as_a_message(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    row = client_as(worker_a).post(reverse("cases:step", args=[case.pk, "close"]), {"list": "inbox"}, **HTMX)
    assert 'role="alert"' in row.content.decode()
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


# --- the responder queue -----------------------------------------------------------------------------------------


def test_the_responder_acknowledges_starts_and_resolves_from_the_queue(
    client_as: Any, worker_a: Any, grid_a: Grid
) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch")
    c = client_as(responder_user(case))
    page = c.get(reverse("cases:queue"))
    assert case in page.context["rows"]
    html = c.post(reverse("cases:step", args=[case.pk, "acknowledge"]), {"list": "queue"}, **HTMX).content.decode()
    assert 'data-step="start"' in html
    c.post(reverse("cases:step", args=[case.pk, "start"]), {"list": "queue"}, **HTMX)
    no_note = c.post(reverse("cases:step", args=[case.pk, "resolve"]), {"next": reverse("cases:queue")}, follow=True)
    assert any("备注" in str(m) or "Note" in str(m) for m in no_note.context["messages"])
    c.post(
        reverse("cases:step", args=[case.pk, "resolve"]),
        {"note": "已清运并消毒", "photos": [photo("after.png")], "next": reverse("cases:queue")},
    )
    case.refresh_from_db()
    assert case.status == Status.RESOLVED
    assert CaseAttachment.objects.filter(case=case, event__action="resolve").count() == 1


def test_a_responder_returns_a_case_with_a_reason_and_it_leaves_the_queue(
    client_as: Any, worker_a: Any, grid_a: Grid
) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch")
    c = client_as(responder_user(case))
    c.post(reverse("cases:step", args=[case.pk, "return"]), {"note": "不属于我单位职责"})
    case.refresh_from_db()
    assert (case.status, case.responder) == (Status.ACCEPTED, None)
    assert case not in c.get(reverse("cases:queue")).context["rows"]


def test_only_responders_have_a_queue_and_they_are_sent_there_from_the_inbox(client_as: Any, worker_a: Any) -> None:
    assert client_as(worker_a).get(reverse("cases:queue")).status_code == 403
    unit_user = User.objects.filter(role=Role.RESPONDER).first()
    response = client_as(unit_user).get(reverse("cases:inbox"))
    assert response.status_code == 302 and response.url == reverse("cases:queue")


# --- the board ----------------------------------------------------------------------------------------------


def test_the_board_groups_cases_by_status_and_filters(
    client_as: Any, staff_a: Any, worker_a: Any, grid_a: Grid, grid_b: Grid
) -> None:
    submitted = report(grid_a)
    accepted = walk(report(grid_a, "路灯不亮", category_code="0101"), worker_a, "accept")
    Case.objects.filter(pk=accepted.pk).update(overdue=True)
    elsewhere = report(grid_b)
    c = client_as(staff_a)
    columns = {col["status"]: col for col in c.get(reverse("cases:board")).context["columns"]}
    assert submitted in columns[Status.SUBMITTED]["cards"] and accepted in columns[Status.ACCEPTED]["cards"]
    assert all(elsewhere not in col["cards"] for col in columns.values())
    overdue = {col["status"]: col for col in c.get(reverse("cases:board"), {"overdue": "1"}).context["columns"]}
    assert overdue[Status.SUBMITTED]["count"] == 0 or submitted not in overdue[Status.SUBMITTED]["cards"]
    assert accepted in overdue[Status.ACCEPTED]["cards"]
    other_grid = Grid.objects.filter(community_id=grid_a.community_id).exclude(pk=grid_a.pk).first()
    assert other_grid is not None
    by_grid = c.get(reverse("cases:board"), {"grid": other_grid.pk}).context["columns"]
    assert all(submitted not in col["cards"] for col in by_grid)


def test_the_board_is_for_area_staff_only(client_as: Any, steward_a: Any) -> None:
    assert client_as(steward_a).get(reverse("cases:board")).status_code == 403


# --- the case page ------------------------------------------------------------------------------------------------


def test_the_case_page_shows_the_masked_phone_to_the_worker_and_hides_it_from_a_steward(
    client_as: Any, worker_a: Any, steward_a: Any, grid_a: Grid
) -> None:
    case = report(grid_a)
    html = client_as(worker_a).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert REPORTER_NAME in html and case.reporter_phone_masked in html and REPORTER_PHONE not in html
    steward_html = client_as(steward_a).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert REPORTER_NAME not in steward_html and case.reporter_phone_masked not in steward_html
    assert 'data-testid="actions"' not in steward_html


def test_the_case_page_offers_only_the_steps_the_user_may_take(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    response = client_as(worker_a).get(reverse("cases:detail", args=[case.pk]))
    assert {s.name for s in response.context["steps"]} == {"accept", "reject"}
    assert response.context["can_merge"] and not response.context["can_whistle"]
    assert response.context["geojson"]["features"][0]["properties"]["highlight"]


def test_case_photos_are_served_to_those_who_see_the_case_only(
    client_as: Any, client: Any, worker_a: Any, worker_b: Any, grid_a: Grid
) -> None:
    case, _ = services.submit_case(
        None, Intake(description="井盖丢了", category_code="0101", grid_id=grid_a.pk), photos=[photo()]
    )
    attachment = case.attachments.get()
    url = reverse("cases:photo", args=[case.pk, attachment.pk])
    response = client_as(worker_a).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert f'src="{url}"' in client_as(worker_a).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert client_as(worker_b).get(url).status_code == 404


def test_a_case_is_merged_into_a_possible_duplicate(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    first = report(grid_a, "小区门口垃圾桶满了，三天没人清运")
    second = report(grid_a, "小区门口垃圾桶满了，好几天没人清运")
    c = client_as(worker_a)
    duplicates = c.get(reverse("cases:detail", args=[second.pk])).context["duplicates"]
    assert first in [d[0] for d in duplicates]
    c.post(reverse("cases:step", args=[second.pk, "merge"]), {"target": first.pk, "note": "同一事项"})
    second.refresh_from_db()
    assert (second.status, second.merged_into) == (Status.MERGED, first)
    # The merged report's tracking page follows the surviving case.
    html = c.get(reverse("public:track", args=[second.tracking_code])).content.decode()
    assert first.tracking_code in html


def test_an_extension_is_requested_by_the_unit_and_approved_by_community_staff(
    client_as: Any, worker_a: Any, staff_a: Any, grid_a: Grid
) -> None:
    case = walk(report(grid_a), worker_a, "accept", "dispatch", "acknowledge")
    client_as(responder_user(case)).post(
        reverse("cases:extension_request", args=[case.pk]), {"extra_hours": "24", "reason": "等待配件到货"}
    )
    request = ExtensionRequest.objects.get(case=case)
    assert request.extra_minutes == 24 * 60
    page = client_as(staff_a).get(reverse("cases:detail", args=[case.pk]))
    assert page.context["pending_extension"] == request and page.context["can_decide_extension"]
    client_as(staff_a).post(reverse("cases:extension_decide", args=[case.pk, request.pk]), {"decision": "approve"})
    request.refresh_from_db()
    assert request.status == ExtensionStatus.APPROVED


def test_the_street_admin_blows_the_whistle_and_a_summoned_unit_reports(
    client_as: Any, street_admin: Any, worker_a: Any, grid_a: Grid
) -> None:
    case = walk(report(grid_a), worker_a, "accept")
    units = list(Responder.objects.filter(street_id=street_admin.street_id).order_by("id")[:2])
    c = client_as(street_admin)
    c.post(
        reverse("cases:whistle", args=[case.pk]),
        {"responders": [u.pk for u in units], "limit_minutes": "30", "note": "联合处置占道问题"},
    )
    summons = list(WhistleSummons.objects.filter(whistle__case=case).order_by("responder_id"))
    assert [s.responder for s in summons] == units
    unit_user = User.objects.filter(role=Role.RESPONDER, responder=units[0]).first()
    page = client_as(unit_user).get(reverse("cases:detail", args=[case.pk]))
    assert page.status_code == 200 and "报到" in page.content.decode()
    client_as(unit_user).post(reverse("cases:whistle_report", args=[case.pk, summons[0].pk]), {"note": "已到场"})
    summons[0].refresh_from_db()
    summons[1].refresh_from_db()
    assert summons[0].reported_at is not None and summons[1].reported_at is None
    panel = client_as(street_admin).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert f'data-testid="summons-{units[1].pk}"' in panel


# --- recording a case -----------------------------------------------------------------------------------------


def test_staff_record_a_walk_in_case_for_a_resident(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    c = client_as(worker_a)
    page = c.get(reverse("cases:new"))
    assert page.status_code == 200 and page.context["form"]["grid"].value() == grid_a.pk
    building = Building.objects.filter(grid=grid_a).order_by("code")[0]
    post = report_post(channel=Channel.PHONE, grid=grid_a.pk, building=building.pk, action="record")
    response = c.post(reverse("cases:new"), post)
    case = Case.objects.get(idempotency_key_case(post["client_id"]))
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[case.pk])
    assert (case.channel, case.recorded_by, case.status) == (Channel.PHONE, worker_a, Status.SUBMITTED)


def test_a_worker_records_a_case_solved_on_the_spot(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    c = client_as(worker_a)
    post = report_post(
        channel=Channel.PATROL, grid=grid_a.pk, action="on_the_spot", note="已当场清理", photos=[photo()]
    )
    response = c.post(reverse("cases:new"), post)
    case = Case.objects.get(idempotency_key_case(post["client_id"]))
    assert response.status_code == 302
    assert (case.status, case.on_the_spot, case.owner) == (Status.CLOSED, True, worker_a)
    assert CaseAttachment.objects.filter(case=case, event__action="solve_on_the_spot").count() == 1
    # The same form sent again does not record it twice.
    post["photos"] = [photo()]
    c.post(reverse("cases:new"), post)
    assert Case.objects.filter(idempotency_key_case(post["client_id"])).count() == 1
    assert CaseEvent.objects.filter(case=case, action="solve_on_the_spot").count() == 1


def test_solved_on_the_spot_needs_a_note(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    response = client_as(worker_a).post(
        reverse("cases:new"), report_post(grid=grid_a.pk, channel=Channel.PATROL, action="on_the_spot")
    )
    assert response.status_code == 400 and response.context["form"].errors["note"]


def test_residents_and_responders_may_not_record_cases(client_as: Any, resident: Any) -> None:
    assert client_as(resident).get(reverse("cases:new")).status_code == 403


# --- notifications ----------------------------------------------------------------------------------------------


def test_the_owner_is_notified_reads_it_and_the_bell_counts_unread(client_as: Any, worker_a: Any, grid_a: Grid) -> None:
    case = report(grid_a)
    note = Notification.objects.filter(user=worker_a, read_at=None).latest("created_at")
    c = client_as(worker_a)
    unread = Notification.objects.filter(user=worker_a, read_at=None).count()
    inbox = c.get(reverse("notifications:inbox"))
    assert case.tracking_code in inbox.content.decode()
    assert f'data-testid="nav-unread">{unread}<' in inbox.content.decode().replace("\n", "")
    opened = c.get(reverse("notifications:open", args=[note.pk]))
    assert opened.status_code == 302 and opened.url == f"/cases/{case.pk}/"
    note.refresh_from_db()
    assert note.read_at is not None
    c.post(reverse("notifications:read_all"))
    assert not Notification.objects.filter(user=worker_a, read_at=None).exists()
    assert 'data-testid="nav-unread"' not in c.get(reverse("notifications:inbox")).content.decode()


def test_one_notification_is_marked_read_in_place_and_others_are_not_reachable(
    client_as: Any, worker_a: Any, worker_b: Any, grid_a: Grid
) -> None:
    report(grid_a)
    note = Notification.objects.filter(user=worker_a, read_at=None).latest("created_at")
    item = client_as(worker_b).post(reverse("notifications:read", args=[note.pk]), **HTMX)
    assert item.status_code == 404
    note.refresh_from_db()
    assert note.read_at is None
    item = client_as(worker_a).post(reverse("notifications:read", args=[note.pk]), **HTMX)
    assert item.content.decode().startswith("<li") and "Mark read" not in item.content.decode()
    note.refresh_from_db()
    assert note.read_at is not None
