"""Open311 GeoReport v2 conformance: every endpoint in both formats, element and field names as the spec writes
them, the spec's error form for bad input, the 90-day window, and no reporter data in anything published."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from xml.etree import ElementTree as ET

import pytest
from django.utils import timezone

from civicgrid.audit.models import AuditEvent
from civicgrid.cases.choices import Channel, Kind, Status
from civicgrid.cases.models import Case, CaseEvent, Category, IdempotencyKey
from civicgrid.cases.services import Intake, submit_case
from civicgrid.open311.models import RequestMedia
from civicgrid.open311.services import create_api_key, revoke_api_key
from civicgrid.people.models import Building

pytestmark = pytest.mark.django_db

BASE = "/open311/v2/"
FORMATS = ["json", "xml"]
LIST_TAGS = {"services", "service_requests", "errors", "attributes", "values", "endpoints", "formats", "notes"}
REQUEST_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


# --- reading both formats the way a client does ---------------------------------------------------------------


def from_xml(el: ET.Element) -> Any:
    """The spec's XML read back into the JSON shape (Spark convention): list elements become lists."""
    if el.tag in LIST_TAGS:
        return [from_xml(child) for child in el]
    if len(el):
        return {child.tag: from_xml(child) for child in el}
    return el.text


def as_text(value: Any) -> Any:
    """JSON values as XML carries them: booleans true/false, numbers as written, null as an empty element."""
    if isinstance(value, dict):
        return {k: as_text(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_text(v) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return None
    return str(value)


def read(response: Any, fmt: str, root: str | None = None) -> Any:
    assert response["Content-Type"] == {"json": "application/json", "xml": "text/xml"}[fmt] + "; charset=utf-8"
    if fmt == "json":
        return as_text(json.loads(response.content.decode("utf-8")))
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>')
    el = ET.fromstring(response.content)
    if root is not None:
        assert el.tag == root
    return from_xml(el)


def assert_errors(response: Any, fmt: str, status: int, *fragments: str) -> list[str]:
    """The spec's error form: HTTP status, and a list of {code, description} with code = that status."""
    assert response.status_code == status, response.content
    errors = read(response, fmt, root="errors")
    assert isinstance(errors, list) and errors
    for error in errors:
        assert list(error) == ["code", "description"]
        assert error["code"] == str(status)
        assert error["description"]
    text = " ".join(e["description"] for e in errors)
    for fragment in fragments:
        assert fragment in text
    return [e["description"] for e in errors]


# --- people and things ---------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _in_english(settings: Any) -> None:
    """Messages are checked in English (the msgids); the reader's language is tested on its own below."""
    settings.LANGUAGE_CODE = "en"


@pytest.fixture
def key(street_admin: Any) -> str:
    return create_api_key(street_admin, "区级12345热线")[1]


def point_in(grid: Any) -> dict[str, str]:
    return {"lat": str(grid.centroid_lat), "long": str(grid.centroid_lng)}


def post(client: Any, fmt: str, key: str | None, **fields: Any) -> Any:
    data = {"api_key": key, **fields} if key is not None else dict(fields)
    return client.post(f"{BASE}requests.{fmt}", data)


def make_case(grid: Any, *, description: str = "小区门口垃圾桶满了，一直没人清运", **kw: Any) -> Case:
    data = Intake(
        description=description,
        category_code=kw.pop("category_code", "0101"),
        lat=grid.centroid_lat,
        lng=grid.centroid_lng,
        channel=kw.pop("channel", Channel.WEB),
        **kw,
    )
    return submit_case(None, data)[0]


# --- discovery, services, service definitions ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_the_endpoint_its_spec_and_both_formats(client: Any, fmt: str) -> None:
    response = client.get(f"{BASE}discovery.{fmt}")
    assert response.status_code == 200
    data = read(response, fmt, root="discovery")
    assert list(data) == ["changeset", "contact", "key_service", "endpoints"]
    (endpoint,) = data["endpoints"]
    assert list(endpoint) == ["specification", "url", "changeset", "type", "formats"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2"
    assert endpoint["formats"] == ["text/xml", "application/json"]
    assert endpoint["changeset"].endswith("+08:00")


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_the_active_leaf_categories(client: Any, fmt: str) -> None:
    Category.objects.filter(code="0102").update(active=False)
    response = client.get(f"{BASE}services.{fmt}")
    assert response.status_code == 200
    services = read(response, fmt, root="services")
    expected = Category.objects.filter(active=True, parent__isnull=False).order_by("code")
    assert [s["service_code"] for s in services] == [c.code for c in expected]
    assert "0102" not in {s["service_code"] for s in services}
    first = services[0]
    assert list(first) == ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
    category = expected[0]
    assert first["service_name"] == category.name_en
    assert first["group"] == category.parent.name_en
    assert first["metadata"] == "true"
    assert first["type"] == "realtime"
    assert "、" not in first["keywords"]


def test_service_names_follow_the_locale_argument(client: Any) -> None:
    services = client.get(f"{BASE}services.json?locale=zh-hans").json()
    assert services[0]["service_name"] == Category.objects.get(code=services[0]["service_code"]).name_zh
    services = client.get(f"{BASE}services.json?locale=en", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert services[0]["service_name"] == Category.objects.get(code=services[0]["service_code"]).name_en


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_service_definition_offers_kind_and_urgency(client: Any, fmt: str) -> None:
    response = client.get(f"{BASE}services/0101.{fmt}")
    assert response.status_code == 200
    definition = read(response, fmt, root="service_definition")
    assert definition["service_code"] == "0101"
    kind, urgency = definition["attributes"]
    for attribute in (kind, urgency):
        assert list(attribute) == [
            "variable",
            "code",
            "datatype",
            "required",
            "datatype_description",
            "order",
            "description",
            "values",
        ]
        assert attribute["variable"] == "true"
        assert attribute["datatype"] == "singlevaluelist"
        assert attribute["required"] == "false"
        assert all(list(v) == ["key", "name"] for v in attribute["values"])
    assert kind["code"] == "kind" and kind["order"] == "1"
    assert [v["key"] for v in kind["values"]] == list(Kind.values)
    assert urgency["code"] == "urgency" and [v["key"] for v in urgency["values"]] == ["normal", "urgent"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_definition_is_404(client: Any, fmt: str) -> None:
    assert_errors(client.get(f"{BASE}services/9999.{fmt}"), fmt, 404, "9999")


def test_both_formats_say_the_same(client: Any, key: str, grid_a: Any) -> None:
    code = post(client, "json", key, service_code="0101", **point_in(grid_a)).json()[0]["service_request_id"]
    for path in ["discovery", "services", "services/0101", "requests", f"requests/{code}", f"tokens/{code}"]:
        as_json = read(client.get(f"{BASE}{path}.json"), "json")
        as_xml = read(client.get(f"{BASE}{path}.xml"), "xml")
        assert as_json == as_xml, path


# --- POST requests ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_client_with_a_key_creates_a_request(client: Any, fmt: str, key: str, grid_a: Any, worker_a: Any) -> None:
    response = post(
        client,
        fmt,
        key,
        service_code="0101",
        description="3栋门口垃圾桶满了，臭味很大",
        account_id="app-user-77",
        first_name="晓梅",
        last_name="张",
        phone="139 1234 5678",
        email="zhang@example.org",
        device_id="tt222111",
        **point_in(grid_a),
        **{"attribute[kind]": "complaint", "attribute[urgency]": "normal"},
    )
    assert response.status_code == 201
    (created,) = read(response, fmt, root="service_requests")
    assert list(created) == ["service_request_id", "service_notice", "account_id"]
    assert created["account_id"] == "app-user-77"
    assert "token" not in created
    case = Case.objects.get(tracking_code=created["service_request_id"])
    assert case.channel == Channel.OPEN311
    assert case.category.code == "0101"
    assert case.kind == Kind.COMPLAINT
    assert case.grid == grid_a and case.owner == worker_a
    assert case.reporter_name == "张晓梅"
    assert case.reporter_phone_masked == "139****5678"
    event = AuditEvent.objects.filter(action="cases.submit", target_id=str(case.pk)).get()
    assert "区级12345热线" in event.reason and "cg_" in event.reason


def test_a_request_may_give_a_building_or_an_address_instead_of_a_point(client: Any, key: str, grid_b: Any) -> None:
    building = Building.objects.filter(grid=grid_b).first()
    assert building is not None
    response = post(client, "json", key, service_code="0103", address_id=str(building.pk))
    assert response.status_code == 201, response.content
    case = Case.objects.get(tracking_code=response.json()[0]["service_request_id"])
    assert case.building == building and case.grid == grid_b
    response = post(client, "json", key, service_code="0103", address_string="不知道哪个小区的门口")
    assert response.status_code == 201, response.content


def test_a_request_without_a_description_is_described_by_its_service(client: Any, key: str, grid_a: Any) -> None:
    response = post(client, "json", key, service_code="0101", **point_in(grid_a))
    case = Case.objects.get(tracking_code=response.json()[0]["service_request_id"])
    assert case.description == Category.objects.get(code="0101").name_zh


def test_the_media_url_is_kept_and_published(client: Any, key: str, grid_a: Any) -> None:
    url = "https://img.example.org/reports/1.jpg"
    response = post(client, "json", key, service_code="0101", media_url=url, **point_in(grid_a))
    code = response.json()[0]["service_request_id"]
    assert RequestMedia.objects.get(case__tracking_code=code).media_url == url
    assert client.get(f"{BASE}requests/{code}.json").json()[0]["media_url"] == url


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_without_a_key_is_403(client: Any, fmt: str, grid_a: Any) -> None:
    assert_errors(post(client, fmt, None, service_code="0101", **point_in(grid_a)), fmt, 403, "api_key")
    assert_errors(post(client, fmt, "", service_code="0101", **point_in(grid_a)), fmt, 403, "api_key")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_with_an_unknown_key_is_403(client: Any, fmt: str, grid_a: Any) -> None:
    assert_errors(post(client, fmt, "cg_not-a-real-key", service_code="0101", **point_in(grid_a)), fmt, 403, "api_key")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_403_at_once(client: Any, fmt: str, street_admin: Any, grid_a: Any) -> None:
    api_key, plain = create_api_key(street_admin, "旧的对接")
    assert post(client, fmt, plain, service_code="0101", **point_in(grid_a)).status_code == 201
    revoke_api_key(street_admin, api_key)
    assert_errors(post(client, fmt, plain, service_code="0101", **point_in(grid_a)), fmt, 403, "api_key")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_without_service_code_is_400(client: Any, fmt: str, key: str, grid_a: Any) -> None:
    assert_errors(post(client, fmt, key, **point_in(grid_a)), fmt, 400, "service_code")


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_code_is_404(client: Any, fmt: str, key: str, grid_a: Any) -> None:
    assert_errors(post(client, fmt, key, service_code="7777", **point_in(grid_a)), fmt, 404, "7777")
    # A group is not a service.
    assert_errors(post(client, fmt, key, service_code="01", **point_in(grid_a)), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("lat", "long", "says"),
    [
        ("abc", "103.88", "lat"),
        ("30.55", "east", "long"),
        ("91", "103.88", "lat"),
        ("-90.5", "103.88", "lat"),
        ("30.55", "180.01", "long"),
        ("30.55", "-181", "long"),
        ("nan", "103.88", "lat"),
        ("30.55", "", "lat and long"),
    ],
)
def test_bad_coordinates_are_400(client: Any, fmt: str, key: str, lat: str, long: str, says: str) -> None:
    assert_errors(post(client, fmt, key, service_code="0101", lat=lat, long=long), fmt, 400, says)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_needs_a_location(client: Any, fmt: str, key: str) -> None:
    assert_errors(post(client, fmt, key, service_code="0101", description="没有地点"), fmt, 400, "location")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_description_over_4000_characters_is_400(client: Any, fmt: str, key: str, grid_a: Any) -> None:
    response = post(client, fmt, key, service_code="0101", description="脏" * 4001, **point_in(grid_a))
    assert_errors(response, fmt, 400, "4000", "4001")
    assert post(client, fmt, key, service_code="0101", description="脏" * 4000, **point_in(grid_a)).status_code == 201


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_problem_of_a_request_is_listed(client: Any, fmt: str, key: str) -> None:
    response = post(
        client,
        fmt,
        key,
        service_code="0101",
        lat="x",
        long="999",
        media_url="javascript:alert(1)",
        email="not-an-address",
        **{"attribute[kind]": "rant"},
    )
    errors = assert_errors(response, fmt, 400)
    assert len(errors) == 5


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_address_id_is_400(client: Any, fmt: str, key: str) -> None:
    assert_errors(post(client, fmt, key, service_code="0101", address_id="99999999"), fmt, 400)
    assert_errors(post(client, fmt, key, service_code="0101", address_id="3栋"), fmt, 400, "address_id")


def test_a_bad_phone_number_is_400(client: Any, key: str, grid_a: Any) -> None:
    assert_errors(post(client, "json", key, service_code="0101", phone="12345", **point_in(grid_a)), "json", 400)


def test_a_retry_with_the_same_client_id_returns_the_first_request(client: Any, key: str, grid_a: Any) -> None:
    fields = {"service_code": "0101", **point_in(grid_a), "attribute[client_id]": "device-42/report-7"}
    first = post(client, "json", key, **fields)
    again = post(client, "xml", key, **fields)
    assert first.status_code == 201 and again.status_code == 200
    assert again["Idempotent-Replayed"] == "true"
    assert read(again, "xml")[0]["service_request_id"] == first.json()[0]["service_request_id"]
    assert IdempotencyKey.objects.filter(key="device-42/report-7").count() == 1


def test_the_idempotency_key_header_works_too_and_is_scoped_per_api_key(
    client: Any, key: str, street_admin: Any, grid_a: Any
) -> None:
    other = create_api_key(street_admin, "另一个应用")[1]
    fields = {"service_code": "0101", **point_in(grid_a)}
    a1 = client.post(f"{BASE}requests.json", {"api_key": key, **fields}, HTTP_IDEMPOTENCY_KEY="k-1")
    a2 = client.post(f"{BASE}requests.json", {"api_key": key, **fields}, HTTP_IDEMPOTENCY_KEY="k-1")
    b1 = client.post(f"{BASE}requests.json", {"api_key": other, **fields}, HTTP_IDEMPOTENCY_KEY="k-1")
    ids = [r.json()[0]["service_request_id"] for r in (a1, a2, b1)]
    assert ids[0] == ids[1] != ids[2]
    assert [r.status_code for r in (a1, a2, b1)] == [201, 200, 201]


@pytest.mark.parametrize("fmt", FORMATS)
def test_other_methods_are_refused_in_the_error_form(client: Any, fmt: str) -> None:
    response = client.delete(f"{BASE}requests.{fmt}")
    assert_errors(response, fmt, 405)
    assert response["Allow"] == "GET, POST"
    assert_errors(client.post(f"{BASE}services.{fmt}"), fmt, 405)


# --- GET requests, requests/{id}, tokens ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_request_has_every_field_of_the_spec_and_no_reporter_data(
    client: Any, fmt: str, key: str, grid_a: Any
) -> None:
    response = post(
        client,
        "json",
        key,
        service_code="0101",
        description="垃圾满了，联系我13987654321，身份证510104199001011234",
        first_name="Reporter",
        last_name="Secretname",
        phone="13912345678",
        email="secret@example.org",
        account_id="acct-secret",
        device_id="device-secret",
        **point_in(grid_a),
    )
    code = response.json()[0]["service_request_id"]
    response = client.get(f"{BASE}requests/{code}.{fmt}")
    assert response.status_code == 200
    (request,) = read(response, fmt, root="service_requests")
    assert list(request) == REQUEST_FIELDS
    assert request["service_request_id"] == code
    assert request["status"] == "open"
    assert request["service_code"] == "0101"
    assert request["requested_datetime"].endswith("+08:00") and "T" in request["requested_datetime"]
    assert request["updated_datetime"].endswith("+08:00")
    assert request["lat"] == str(grid_a.centroid_lat)
    body = response.content.decode()
    for secret in ("Secretname", "13912345678", "secret@example.org", "acct-secret", "device-secret", "5678"):
        assert secret not in body.replace("4321", "")
    assert "139****4321" in request["description"]
    assert "510104199001011234" not in body and "510***********1234" in request["description"]


def test_closed_rejected_and_merged_cases_are_closed_and_the_rest_open(client: Any, grid_a: Any, worker_a: Any) -> None:
    from civicgrid.cases.services import take_step

    cases = {s: make_case(grid_a, description=f"测试状态 {s}") for s in ("open", "accepted", "rejected", "merged")}
    take_step(worker_a, cases["accepted"], "accept")
    take_step(worker_a, cases["rejected"], "reject", "重复反映，已在处理")
    take_step(worker_a, cases["merged"], "merge", "同一件事", target=cases["open"])
    data = {r["service_request_id"]: r for r in client.get(f"{BASE}requests.json").json()}
    status = {name: data[c.tracking_code]["status"] for name, c in cases.items()}
    assert status == {"open": "open", "accepted": "open", "rejected": "closed", "merged": "closed"}
    assert data[cases["rejected"].tracking_code]["status_notes"].endswith("重复反映，已在处理")
    assert cases["open"].tracking_code in data[cases["merged"].tracking_code]["status_notes"]
    closed = client.get(f"{BASE}requests.json?status=closed").json()
    assert {r["service_request_id"] for r in closed} >= {cases["rejected"].tracking_code}
    assert all(r["status"] == "closed" for r in closed)
    both = client.get(f"{BASE}requests.json?status=open,closed").json()
    assert len(both) == len(client.get(f"{BASE}requests.json").json())


def test_reports_of_wrongdoing_are_never_published(client: Any, grid_a: Any) -> None:
    case = make_case(grid_a, description="举报有人在楼道里赌博", kind=Kind.REPORT)
    assert case.tracking_code not in {r["service_request_id"] for r in client.get(f"{BASE}requests.json").json()}
    assert_errors(client.get(f"{BASE}requests/{case.tracking_code}.json"), "json", 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_request_is_404(client: Any, fmt: str) -> None:
    assert_errors(client.get(f"{BASE}requests/ZZZZ9999.{fmt}"), fmt, 404, "ZZZZ9999")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_token_gives_the_request_id(client: Any, fmt: str, grid_a: Any) -> None:
    case = make_case(grid_a)
    response = client.get(f"{BASE}tokens/{case.tracking_code}.{fmt}")
    assert response.status_code == 200
    assert read(response, fmt, root="service_requests") == [
        {"service_request_id": case.tracking_code, "token": case.tracking_code}
    ]
    assert_errors(client.get(f"{BASE}tokens/NOSUCHTOKEN.{fmt}"), fmt, 404)


def test_requests_default_to_the_last_90_days(client: Any, grid_a: Any) -> None:
    recent, old = make_case(grid_a), make_case(grid_a)
    Case.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=91))
    ids = {r["service_request_id"] for r in client.get(f"{BASE}requests.json").json()}
    assert recent.tracking_code in ids and old.tracking_code not in ids
    # Asking by id overrides every other argument, the window too.
    listed = client.get(f"{BASE}requests.json?service_request_id={old.tracking_code},{recent.tracking_code}").json()
    assert {r["service_request_id"] for r in listed} == {old.tracking_code, recent.tracking_code}


def test_requests_filter_by_dates_service_code_and_update_time(client: Any, grid_a: Any) -> None:
    a = make_case(grid_a, category_code="0101")
    b = make_case(grid_a, category_code="0103")
    Case.objects.filter(pk=a.pk).update(created_at=timezone.now() - timedelta(days=100))
    start = (timezone.localtime() - timedelta(days=120)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    end = (timezone.localtime() - timedelta(days=50)).strftime("%Y-%m-%dT%H:%M:%S+08:00")
    # '+' unencoded in a query string arrives as a space; it is read as the offset's sign.
    listed = client.get(f"{BASE}requests.json?start_date={start}&end_date={end}").json()
    assert [r["service_request_id"] for r in listed] == [a.tracking_code]
    assert {r["service_code"] for r in client.get(f"{BASE}requests.json?service_code=0103").json()} == {"0103"}
    assert b.tracking_code in {
        r["service_request_id"] for r in client.get(f"{BASE}requests.json?service_code=0101,0103").json()
    }
    after = (timezone.now() - timedelta(minutes=5)).isoformat()
    updated = {r["service_request_id"] for r in client.get(f"{BASE}requests.json", {"updated_after": after}).json()}
    assert b.tracking_code in updated and a.tracking_code in updated  # a was just updated (created_at moved)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-04-02T00:00:00Z", "90 days"),
        ("start_date=2026-03-01T00:00:00Z&end_date=2026-02-01T00:00:00Z", "after"),
        ("start_date=yesterday", "start_date"),
        ("status=pending", "pending"),
        ("page=0", "page"),
        ("page_size=5000", "page_size"),
    ],
)
def test_bad_request_queries_are_400(client: Any, fmt: str, query: str, says: str) -> None:
    assert_errors(client.get(f"{BASE}requests.{fmt}?{query}"), fmt, 400, says)


def test_exactly_90_days_is_allowed(client: Any) -> None:
    response = client.get(f"{BASE}requests.json?start_date=2026-01-01T00:00:00Z&end_date=2026-04-01T00:00:00Z")
    assert response.status_code == 200


def test_requests_are_paged_newest_first(client: Any, grid_a: Any) -> None:
    made = [make_case(grid_a, description=f"第{i}件") for i in range(5)]
    page1 = client.get(f"{BASE}requests.json?page_size=2").json()
    page2 = client.get(f"{BASE}requests.json?page_size=2&page=2").json()
    newest = [c.tracking_code for c in reversed(made)]
    assert [r["service_request_id"] for r in page1 + page2] == newest[:4]


def test_status_notes_history_is_an_extension(client: Any, grid_a: Any, worker_a: Any) -> None:
    from civicgrid.cases.services import take_step

    case = make_case(grid_a)
    take_step(worker_a, case, "accept")
    take_step(worker_a, case, "handle_ourselves")
    take_step(worker_a, case, "resolve", "已清运，电话13900001111联系过物业")
    plain = client.get(f"{BASE}requests/{case.tracking_code}.json").json()[0]
    assert "extended_attributes" not in plain
    (extended,) = client.get(f"{BASE}requests/{case.tracking_code}.json?extensions=true").json()
    notes = extended["extended_attributes"]["notes"]
    public = CaseEvent.objects.filter(case=case, public=True).count()
    assert len(notes) == public
    assert [n["action"] for n in notes][:2] == ["submit", "accept"]
    assert all(list(n) == ["datetime", "action", "status", "detailed_status", "note"] for n in notes)
    assert "139****1111" in notes[-1]["note"]
    assert extended["status_notes"].startswith(str(Status.RESOLVED.label))
    xml = ET.fromstring(client.get(f"{BASE}requests/{case.tracking_code}.xml?extensions=true").content)
    assert [n.tag for n in xml.find("request/extended_attributes/notes")] == ["note"] * public  # type: ignore[union-attr]


def test_listing_requests_takes_a_constant_number_of_queries(
    client: Any, grid_a: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(12):
        make_case(grid_a, description=f"查询次数 {i}")
    with django_assert_max_num_queries(2):
        assert len(client.get(f"{BASE}requests.json").json()) >= 12
    with django_assert_max_num_queries(3):
        client.get(f"{BASE}requests.xml?extensions=true")


def test_errors_and_names_are_in_the_readers_language(client: Any, key: str) -> None:
    english = client.post(f"{BASE}requests.json", {"api_key": key}).json()[0]["description"]
    chinese = client.post(f"{BASE}requests.json", {"api_key": key}, HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert chinese[0]["description"] != english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese[0]["description"])
    services = client.get(f"{BASE}services.json", HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    assert services[0]["service_name"] == Category.objects.get(code=services[0]["service_code"]).name_zh
