"""Against the live server, over real HTTP: a generic Open311 client finds its way through discovery, services,
a service definition, a POST and the request; and fifty concurrent retries of one Open311 request make one case."""

from __future__ import annotations

import threading
import urllib.parse
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from xml.etree import ElementTree as ET

import pytest

from civicgrid.areas.models import Grid, Street
from civicgrid.audit.models import AuditEvent
from civicgrid.audit.services import verify_chain
from civicgrid.cases.models import Case, IdempotencyKey
from civicgrid.open311.services import create_api_key

from .live import ensure_world, http

pytestmark = pytest.mark.django_db(transaction=True)

CONCURRENT = 50


@pytest.fixture
def server(live_server: Any) -> str:
    ensure_world()
    return str(live_server.url)


@pytest.fixture
def plain_key(server: str) -> str:
    return create_api_key(None, "live client", street=Street.objects.order_by("id").first())[1]


class GeoReportClient:
    """What a generic Open311 client knows: the spec, XML (the mandatory format), and a discovery URL."""

    SPEC = "http://wiki.open311.org/GeoReport_v2"

    def __init__(self, discovery_url: str, api_key: str) -> None:
        self.api_key = api_key
        discovery = self._get(discovery_url)
        endpoints = [
            e
            for e in discovery.iterfind("endpoints/endpoint")
            if e.findtext("specification") == self.SPEC and "text/xml" in [f.text for f in e.iterfind("formats/format")]
        ]
        assert endpoints, "no GeoReport v2 endpoint with XML in the discovery document"
        self.base = (endpoints[0].findtext("url") or "").rstrip("/")

    def _get(self, url: str) -> ET.Element:
        status, headers, body = http("GET", url)
        assert status == 200, body
        assert headers["Content-Type"].startswith("text/xml")
        return ET.fromstring(body)

    def services(self) -> list[dict[str, str]]:
        root = self._get(f"{self.base}/services.xml")
        assert root.tag == "services"
        return [{child.tag: child.text or "" for child in service} for service in root.iterfind("service")]

    def attributes(self, code: str) -> list[ET.Element]:
        root = self._get(f"{self.base}/services/{urllib.parse.quote(code)}.xml")
        assert root.tag == "service_definition" and root.findtext("service_code") == code
        return sorted(root.iterfind("attributes/attribute"), key=lambda a: int(a.findtext("order") or 0))

    def submit(self, fields: dict[str, str]) -> str:
        status, _headers, body = http("POST", f"{self.base}/requests.xml", form={"api_key": self.api_key, **fields})
        assert status in (200, 201), body
        request = ET.fromstring(body).find("request")
        assert request is not None
        request_id = request.findtext("service_request_id")
        if not request_id:  # a batch server answers with a token first
            token = request.findtext("token")
            request_id = self._get(f"{self.base}/tokens/{token}.xml").findtext("request/service_request_id")
        assert request_id
        return request_id

    def request(self, request_id: str) -> dict[str, str]:
        request = self._get(f"{self.base}/requests/{urllib.parse.quote(request_id)}.xml").find("request")
        assert request is not None
        return {child.tag: child.text or "" for child in request}


def test_a_generic_open311_client_reports_and_follows_a_request(server: str, plain_key: str) -> None:
    client = GeoReportClient(f"{server}/open311/v2/discovery.xml", plain_key)
    services = client.services()
    assert services and all(s["type"] == "realtime" for s in services)
    chosen = services[0]
    fields = {
        "service_code": chosen["service_code"],
        "description": "小区东门垃圾桶满了，已经两天没人清运",
        "address_string": "九江街道万家社区东门",
    }
    if chosen["metadata"] == "true":
        for attribute in client.attributes(chosen["service_code"]):
            values = [v.findtext("key") or "" for v in attribute.iterfind("values/value")]
            if attribute.findtext("required") == "true" or attribute.findtext("code") == "kind":
                fields[f"attribute[{attribute.findtext('code')}]"] = values[-1]
    request_id = client.submit(fields)
    request = client.request(request_id)
    assert request["service_request_id"] == request_id
    assert request["status"] == "open"
    assert request["service_code"] == chosen["service_code"]
    assert request["service_name"] == chosen["service_name"]
    assert request["requested_datetime"].endswith("+08:00")
    assert Case.objects.get(tracking_code=request_id).kind == "suggestion"


def test_fifty_concurrent_open311_retries_create_one_case(server: str, plain_key: str) -> None:
    grid = Grid.objects.exclude(boundary=None).order_by("id").first()
    assert grid is not None
    form = {
        "api_key": plain_key,
        "service_code": "0201",
        "lat": str(grid.centroid_lat),
        "long": str(grid.centroid_lng),
        "description": "小区门口电动车乱停，堵住了出口",
        "attribute[client_id]": "phone-7f3a/report-0001",
    }
    before = Case.objects.count()
    start = threading.Barrier(CONCURRENT)

    def send(_: int) -> tuple[int, dict[str, str], bytes]:
        start.wait()
        return http("POST", f"{server}/open311/v2/requests.xml", form=form)

    with ThreadPoolExecutor(CONCURRENT) as pool:
        results = list(pool.map(send, range(CONCURRENT)))
    assert Counter(status for status, _h, _b in results) == {201: 1, 200: CONCURRENT - 1}, [r[2] for r in results]
    ids = {ET.fromstring(body).findtext("request/service_request_id") for _s, _h, body in results}
    assert len(ids) == 1
    assert Case.objects.count() == before + 1
    assert IdempotencyKey.objects.filter(key="phone-7f3a/report-0001").count() == 1
    case = Case.objects.get(tracking_code=ids.pop())
    assert AuditEvent.objects.filter(action="cases.submit", target_id=str(case.pk)).count() == 1
    assert list(verify_chain()) == []
