"""The phone pages: what they carry for offline use (masked), the service worker, the sync view's answers."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from civicgrid.disputes.services import mask_name
from civicgrid.patrols.models import Finding, Patrol, TracePoint
from civicgrid.people.models import Household

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def embedded(response: Any, element_id: str) -> Any:
    html = response.content.decode()
    start = html.index(f'id="{element_id}"')
    start = html.index(">", start) + 1
    return json.loads(html[start : html.index("</script>", start)])


def test_the_visit_page_carries_every_household_of_the_grid_with_masked_heads_only(
    client_as: Any, steward_a: Any
) -> None:
    response = client_as(steward_a).get(reverse("field:visit"))
    households = embedded(response, "field-households")
    grid_households = Household.objects.filter(grid=steward_a.grid)
    assert {h["id"] for h in households} == set(grid_households.values_list("pk", flat=True))
    html = response.content.decode()
    for h in grid_households.exclude(head_name=""):
        assert h.head_name not in html
        assert mask_name(h.head_name) in {x["name"] for x in households}
    assert response["Cache-Control"] == "private, no-cache"


def test_the_patrol_page_carries_the_checklist_and_the_grids_buildings(client_as: Any, steward_a: Any) -> None:
    response = client_as(steward_a).get(reverse("field:patrol"))
    html = response.content.decode()
    assert 'name="item" value="full_bin"' in html
    assert 'accept="image/*" capture="environment"' in html
    config = embedded(response, "field-config")
    assert config["user"] == steward_a.pk and config["grid"] == steward_a.grid_id
    assert config["sync"] == reverse("field:sync")


def test_the_home_page_costs_a_fixed_number_of_queries(client_as: Any, steward_a: Any, worker_a: Any) -> None:
    client = client_as(steward_a)
    client.get(reverse("field:home"))
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("field:home")).status_code == 200
    assert len(ctx) <= 16, [q["sql"] for q in ctx.captured_queries]


def test_the_overview_costs_the_same_for_one_grid_or_the_whole_street(
    client_as: Any, street_admin: Any, staff_a: Any
) -> None:
    counts = []
    for user in (staff_a, street_admin):
        client = client_as(user)
        client.get(reverse("field:overview"))
        with CaptureQueriesContext(connection) as ctx:
            client.get(reverse("field:overview"))
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_the_service_worker_is_served_for_the_field_scope_with_its_version(client: Any) -> None:
    response = client.get(reverse("field:sw"))
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == "/field/"
    body = response.content.decode()
    config = json.loads(body[len("self.FIELD = ") : body.index(";\n")])
    assert "/field/patrol/" in config["pages"] and "/static/js/field.js" in config["precache"]
    assert len(config["version"]) == 12
    assert 'addEventListener("fetch"' in body


def test_a_batch_with_a_photo_and_a_route_is_recorded(
    client_as: Any, steward_a: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    patrol, finding, trace = (str(uuid.uuid4()) for _ in range(3))
    entries = [
        {"client_id": patrol, "kind": "patrol_start", "data": {"tracking": True, "lat": 30.55, "lng": 103.88}},
        {
            "client_id": finding,
            "kind": "finding",
            "data": {"patrol": patrol, "item": "full_bin", "note": "满了"},
            "photo": "photo-1",
        },
        {
            "client_id": trace,
            "kind": "trace",
            "data": {"patrol": patrol, "points": [["2026-01-01T08:00:00+08:00", 30.55, 103.88]]},
        },
    ]
    response = client_as(steward_a).post(
        reverse("field:sync"),
        {
            "user": str(steward_a.pk),
            "entries": json.dumps(entries),
            "photo-1": SimpleUploadedFile("a.png", PNG, content_type="image/png"),
        },
    )
    results = response.json()["results"]
    # The route point is from long ago: refused, and the entry stays on the phone with the reason.
    assert [r["status"] for r in results] == ["created", "created", "error"]
    assert Finding.objects.get(client_id=finding).photo
    entries[2]["data"]["points"] = [[timezone.now().isoformat(), 30.55, 103.88]]
    results = (
        client_as(steward_a)
        .post(reverse("field:sync"), {"user": str(steward_a.pk), "entries": json.dumps(entries[2:])})
        .json()["results"]
    )
    assert results[0]["status"] == "created"
    assert TracePoint.objects.filter(patrol=Patrol.objects.get(client_id=patrol)).count() == 1


def test_malformed_batches_get_an_answer_not_a_crash(client_as: Any, steward_a: Any) -> None:
    client = client_as(steward_a)
    url = reverse("field:sync")
    assert client.post(url, {"entries": "not json"}).status_code == 400
    assert client.post(url, {"entries": json.dumps({"a": 1})}).status_code == 400
    assert client.post(url, {"entries": json.dumps([{}] * 101)}).status_code == 400
    results = client.post(
        url,
        {
            "entries": json.dumps(
                [
                    "text",
                    {"client_id": "nope", "kind": "visit"},
                    {"client_id": str(uuid.uuid4()), "kind": "visit", "data": ["x"]},
                    {"client_id": str(uuid.uuid4()), "kind": "visit", "data": {"household_id": "1 OR 1=1"}},
                    {"client_id": str(uuid.uuid4()), "kind": "finding", "data": {"patrol": str(uuid.uuid4())}},
                    {"client_id": str(uuid.uuid4()), "kind": "patrol_start", "at": "yesterday"},
                    {"client_id": str(uuid.uuid4()), "kind": "patrol_start", "data": {"lat": "NaN", "lng": 1}},
                ]
            )
        },
    ).json()["results"]
    assert [r["status"] for r in results] == ["error"] * 7
    assert all(r["message"] for r in results)
