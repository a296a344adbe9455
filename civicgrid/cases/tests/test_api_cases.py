"""The JSON API over cases: intake by API key or session (idempotent), scoped lists and details without reporter
data, and the steps of the loop under each step's rule."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from civicgrid.cases.choices import Channel, Status
from civicgrid.cases.models import Case
from civicgrid.cases.services import Intake, submit_case
from civicgrid.open311.services import create_api_key, revoke_api_key

pytestmark = pytest.mark.django_db

URL = "/api/v1/cases"
SECRET_NAME = "王秘密"
SECRET_PHONE = "13800138000"
SECRET_EMAIL = "secret.reporter@example.org"


@pytest.fixture
def key(street_admin: Any) -> str:
    return create_api_key(street_admin, "网格通小程序")[1]


def report(grid: Any, **extra: Any) -> dict[str, Any]:
    return {
        "description": "<script>alert('x')</script>楼道里堆满了旧家具，过不去",
        "lat": grid.centroid_lat,
        "lng": grid.centroid_lng,
        **extra,
    }


def post_json(client: Any, url: str, body: dict[str, Any], **headers: Any) -> Any:
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def make_case(grid: Any, **kw: Any) -> Case:
    data = Intake(
        description=kw.pop("description", "路灯坏了好几天"),
        category_code=kw.pop("category_code", "0101"),
        lat=grid.centroid_lat,
        lng=grid.centroid_lng,
        reporter_name=SECRET_NAME,
        reporter_phone=SECRET_PHONE,
        reporter_email=SECRET_EMAIL,
        **kw,
    )
    return submit_case(None, data)[0]


def no_reporter_data(response: Any) -> None:
    body = response.content.decode()
    for secret in (SECRET_NAME, SECRET_PHONE, SECRET_EMAIL, "reporter_name", "reporter_email", "cipher", "digest"):
        assert secret not in body


# --- intake ----------------------------------------------------------------------------------------------------


def test_an_integration_creates_a_case_with_its_key(client: Any, key: str, grid_a: Any, worker_a: Any) -> None:
    response = post_json(client, URL, report(grid_a, category="0103"), HTTP_X_API_KEY=key)
    assert response.status_code == 201, response.content
    data = response.json()
    case = Case.objects.get(tracking_code=data["tracking_code"])
    assert case.channel == Channel.API and case.category.code == "0103"
    assert case.grid == grid_a and case.owner == worker_a
    assert case.recorded_by is None and case.reporter is None
    assert data["status"] == "submitted" and data["category"] == "0103"


def test_without_a_category_the_classifier_chooses_one(client: Any, key: str, grid_a: Any) -> None:
    response = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key)
    assert response.status_code == 201
    assert response.json()["category"]


def test_a_retry_with_the_same_idempotency_key_returns_the_first_case(client: Any, key: str, grid_a: Any) -> None:
    first = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="report-1")
    again = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="report-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert first.json()["tracking_code"] == again.json()["tracking_code"]
    other = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="report-2")
    assert other.status_code == 201 and other.json()["tracking_code"] != first.json()["tracking_code"]


def test_idempotency_keys_belong_to_their_api_key(client: Any, key: str, street_admin: Any, grid_a: Any) -> None:
    other = create_api_key(street_admin, "另一个系统")[1]
    a = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="same")
    b = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=other, HTTP_IDEMPOTENCY_KEY="same")
    assert b.status_code == 201 and a.json()["tracking_code"] != b.json()["tracking_code"]


def test_an_overlong_idempotency_key_is_400(client: Any, key: str, grid_a: Any) -> None:
    response = post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key, HTTP_IDEMPOTENCY_KEY="k" * 129)
    assert response.status_code == 400


def test_a_logged_in_resident_reports_with_the_session(client_as: Any, resident: Any, grid_a: Any) -> None:
    response = post_json(client_as(resident), URL, report(grid_a, channel="web"))
    assert response.status_code == 201, response.content
    case = Case.objects.get(tracking_code=response.json()["tracking_code"])
    assert case.reporter == resident and case.channel == Channel.WEB


def test_a_session_post_needs_the_csrf_token(resident: Any, grid_a: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(resident, backend="civicgrid.accounts.backends.UsernameOrPhoneBackend")
    assert post_json(client, URL, report(grid_a)).status_code == 403


def test_an_api_key_needs_no_csrf_token(key: str, grid_a: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    assert post_json(client, URL, report(grid_a), HTTP_X_API_KEY=key).status_code == 201


def test_open311_is_not_a_channel_of_this_api(client_as: Any, worker_a: Any, grid_a: Any) -> None:
    assert post_json(client_as(worker_a), URL, report(grid_a, channel="open311")).status_code == 400


def test_a_bad_report_says_which_field(client: Any, key: str) -> None:
    response = post_json(client, URL, {"description": "没有地点"}, HTTP_X_API_KEY=key)
    assert response.status_code == 400
    assert response.json()["field"] == "address_text"


def test_without_credentials_or_with_a_dead_key_it_is_401(
    client: Any, key: str, street_admin: Any, grid_a: Any
) -> None:
    assert post_json(client, URL, report(grid_a)).status_code == 401
    assert post_json(client, URL, report(grid_a), HTTP_X_API_KEY="cg_wrong").status_code == 401
    api_key, plain = create_api_key(street_admin, "要撤的")
    revoke_api_key(street_admin, api_key)
    assert post_json(client, URL, report(grid_a), HTTP_X_API_KEY=plain).status_code == 401
    assert client.get(URL, HTTP_X_API_KEY=plain).status_code == 401


# --- reads -------------------------------------------------------------------------------------------------------


def test_lists_are_scoped_to_what_the_caller_may_see(
    client_as: Any, client: Any, key: str, worker_a: Any, worker_b: Any, grid_a: Any, grid_b: Any
) -> None:
    in_a, in_b = make_case(grid_a), make_case(grid_b)

    def codes(response: Any) -> set[str]:
        assert response.status_code == 200
        return {c["tracking_code"] for c in response.json()["items"]}

    seen_by_a = codes(client_as(worker_a).get(URL))
    assert in_a.tracking_code in seen_by_a and in_b.tracking_code not in seen_by_a
    seen_by_key = codes(client.logout() or client.get(URL, HTTP_X_API_KEY=key))
    assert {in_a.tracking_code, in_b.tracking_code} <= seen_by_key


def test_lists_filter_by_status_category_and_grid(client_as: Any, street_admin: Any, grid_a: Any, grid_b: Any) -> None:
    a, b = make_case(grid_a, category_code="0101"), make_case(grid_b, category_code="0103")
    client = client_as(street_admin)

    def codes(query: str) -> set[str]:
        return {c["tracking_code"] for c in client.get(f"{URL}?{query}").json()["items"]}

    assert a.tracking_code in codes("category=0101") and b.tracking_code not in codes("category=0101")
    assert codes(f"grid={grid_b.pk}") >= {b.tracking_code} and a.tracking_code not in codes(f"grid={grid_b.pk}")
    assert a.tracking_code in codes("status=submitted,accepted") and not codes("status=surveyed") & {a.tracking_code}


def test_staff_see_the_masked_phone_others_see_no_reporter_data(
    client_as: Any, client: Any, key: str, worker_a: Any, grid_a: Any
) -> None:
    case = make_case(grid_a)
    staff_view = client_as(worker_a).get(f"{URL}/{case.tracking_code}")
    assert staff_view.json()["reporter_phone_masked"] == "138****8000"
    no_reporter_data(staff_view)
    client.logout()
    key_view = client.get(f"{URL}/{case.tracking_code.lower()}", HTTP_X_API_KEY=key)
    assert key_view.status_code == 200 and key_view.json()["reporter_phone_masked"] is None
    no_reporter_data(key_view)
    no_reporter_data(client.get(URL, HTTP_X_API_KEY=key))


def test_a_case_outside_the_callers_area_is_404(client_as: Any, worker_b: Any, resident: Any, grid_a: Any) -> None:
    case = make_case(grid_a)
    assert client_as(worker_b).get(f"{URL}/{case.tracking_code}").status_code == 404
    assert client_as(resident).get(f"{URL}/{case.tracking_code}").status_code == 404


def test_the_detail_has_the_timeline_public_steps_only_for_non_staff(
    client_as: Any, client: Any, key: str, worker_a: Any, grid_a: Any
) -> None:
    from civicgrid.cases.services import take_step

    case = make_case(grid_a)
    take_step(worker_a, case, "accept")
    staff = client_as(worker_a).get(f"{URL}/{case.tracking_code}").json()
    assert [e["action"] for e in staff["timeline"]] == ["submit", "accept"]
    assert staff["timeline"][1]["actor"] == str(worker_a)
    client.logout()
    outside = client.get(f"{URL}/{case.tracking_code}", HTTP_X_API_KEY=key).json()
    assert all(e["actor"] is None for e in outside["timeline"])


def test_the_list_takes_a_constant_number_of_queries(
    client_as: Any, street_admin: Any, grid_a: Any, grid_b: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(street_admin)
    client.get(URL)

    def queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(URL).status_code == 200
        return len(ctx)

    make_case(grid_a)
    few = queries()
    for grid in (grid_a, grid_b) * 6:
        make_case(grid)
    assert queries() == few <= 8


# --- steps -------------------------------------------------------------------------------------------------------


def test_a_grid_worker_takes_steps_through_the_api(client_as: Any, worker_a: Any, grid_a: Any) -> None:
    case = make_case(grid_a)
    client = client_as(worker_a)
    response = post_json(client, f"{URL}/{case.tracking_code}/steps/accept", {})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == Status.ACCEPTED
    response = post_json(client, f"{URL}/{case.tracking_code}/steps/handle_ourselves", {})
    assert response.json()["status"] == Status.IN_PROGRESS
    response = post_json(client, f"{URL}/{case.tracking_code}/steps/resolve", {"note": "已清理"})
    assert response.json()["status"] == Status.RESOLVED


def test_a_step_that_does_not_fit_the_state_or_lacks_its_note_is_400(
    client_as: Any, worker_a: Any, grid_a: Any
) -> None:
    case = make_case(grid_a)
    client = client_as(worker_a)
    assert post_json(client, f"{URL}/{case.tracking_code}/steps/close", {}).status_code == 400
    assert post_json(client, f"{URL}/{case.tracking_code}/steps/reject", {}).status_code == 400
    assert post_json(client, f"{URL}/{case.tracking_code}/steps/fly", {}).status_code == 400


def test_steps_follow_the_rules(client_as: Any, steward_a: Any, worker_b: Any, grid_a: Any) -> None:
    case = make_case(grid_a)
    assert post_json(client_as(worker_b), f"{URL}/{case.tracking_code}/steps/accept", {}).status_code == 404
    assert post_json(client_as(steward_a), f"{URL}/{case.tracking_code}/steps/accept", {}).status_code in (403, 404)


def test_an_api_key_cannot_take_steps(client: Any, key: str, grid_a: Any) -> None:
    case = make_case(grid_a)
    response = post_json(client, f"{URL}/{case.tracking_code}/steps/accept", {}, HTTP_X_API_KEY=key)
    assert response.status_code == 403
    assert Case.objects.get(pk=case.pk).status == Status.SUBMITTED


def test_a_merge_names_the_surviving_case(client_as: Any, worker_a: Any, grid_a: Any) -> None:
    keep, dup = make_case(grid_a), make_case(grid_a)
    client = client_as(worker_a)
    response = post_json(
        client, f"{URL}/{dup.tracking_code}/steps/merge", {"note": "同一件事", "target": keep.tracking_code}
    )
    assert response.status_code == 200, response.content
    assert Case.objects.get(pk=dup.pk).merged_into_id == keep.pk
    response = post_json(client, f"{URL}/{keep.tracking_code}/steps/merge", {"note": "x", "target": "NOSUCH22"})
    assert response.status_code == 400
