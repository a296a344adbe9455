"""The field-work access table: every role × own area / other area × every page under /field/, as data.

The same rules as the foundation's table (tests/test_scope_table.py): anonymous → the login page (the sync
endpoint answers 401, so the phone keeps its queue); 403 when the role never holds the permission; 404 when
the object or grid is outside the user's area; 200 (or 302 after a form POST) inside it. "Other area" is another
street for the street admin, community B / grid B for community A's staff, the neighbouring grid A2 for grid
leaders, workers and stewards, grid B for everyone else.

Recording (patrols, visits, disputes, the fire-safety register) is for the grid's own people only: staff above
see the records of their area but record nothing in it (403 inside the area, 404 outside).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from civicgrid.accounts.choices import Role
from civicgrid.accounts.models import User
from civicgrid.areas.models import Community, Grid, Street
from civicgrid.disputes.models import Dispute, DisputeParty
from civicgrid.fieldwork.models import SyncReceipt
from civicgrid.firesafety.models import SafetyItem
from civicgrid.patrols.models import ChecklistItem, Finding, Patrol
from civicgrid.people.models import Building, House, Household
from civicgrid.stewards.models import StewardApplication
from civicgrid.visits.models import Visit

ROLES = [
    "street_admin",
    "community_staff",
    "grid_leader",
    "grid_worker",
    "steward",
    "responder",
    "resident",
    "merchant",
    "anonymous",
]

TABLE = """
endpoint             street_admin community_staff grid_leader grid_worker steward responder resident merchant anonymous
field_home           302          302             200         200         200     403       403      403      login
field_patrol         403          403             200         200         200     403       403      403      login
field_visit          403          403             200         200         200     403       403      403      login
field_dispute        403          403             200         200         200     403       403      403      login
field_screening      403          403             200         200         200     403       403      403      login
field_sw             200          200             200         200         200     200       200      200      200
field_overview       200          200             200         200         200     403       403      403      login
steward_programme    200          200             403         403         403     403       403      403      login
steward_apply        403          403             403         403         403     403       200      403      login
steward_training     302          302             403         403         403     403       403      403      login
steward_decide       302/404      302/404         403         403         403     403       403      403      login
steward_activate     302/404      302/404         403         403         403     403       403      403      login
steward_roster       200/404      200/404         200/404     200/404     200/404 403       403      403      login
patrol_list          200/404      200/404         200/404     200/404     200/404 403       403      403      login
finding_photo        200/404      200/404         200/404     200/404     200/404 403       403      403      login
visit_list           200/404      200/404         200/404     200/404     200/404 403       403      403      login
safety_register      200/404      200/404         200/404     200/404     200/404 403       403      403      login
safety_add           403/404      403/404         302/404     302/404     302/404 403       403      403      login
safety_check         403/404      403/404         302/404     302/404     302/404 403       403      403      login
dispute_list         200/404      200/404         200/404     200/404     200/404 403       403      403      login
dispute_detail       200/404      200/404         200/404     200/404     200/404 403       403      403      login
dispute_session      403/404      403/404         302/404     302/404     302/404 403       403      403      login
dispute_conclude     403/404      403/404         302/404     302/404     302/404 403       403      403      login
dispute_agreement    200/404      200/404         200/404     200/404     200/404 403       403      403      login
screening_status     200          200             200         200         200     403       403      403      login
"""

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@dataclass(frozen=True)
class Place:
    """The field records of one grid (and the steward application of its community)."""

    grid: Grid
    finding: Finding
    item: SafetyItem
    dispute: Dispute
    application: StewardApplication


@dataclass(frozen=True)
class Endpoint:
    name: str
    route: str
    url: Callable[[Place], str]
    method: str = "get"
    data: Callable[[Place], dict[str, Any]] | None = None

    def call(self, client: Any, place: Place) -> Any:
        data = self.data(place) if self.data else None
        return client.get(self.url(place), data) if self.method == "get" else client.post(self.url(place), data)


def r(name: str, *args: Any) -> str:
    return reverse(name, args=args)


ENDPOINTS = {
    e.name: e
    for e in [
        Endpoint("field_home", "field:home", lambda p: r("field:home")),
        Endpoint("field_patrol", "field:patrol", lambda p: r("field:patrol")),
        Endpoint("field_visit", "field:visit", lambda p: r("field:visit")),
        Endpoint("field_dispute", "field:dispute", lambda p: r("field:dispute")),
        Endpoint("field_screening", "field:screening", lambda p: r("field:screening")),
        Endpoint("field_sw", "field:sw", lambda p: r("field:sw")),
        Endpoint("field_overview", "field:overview", lambda p: r("field:overview")),
        Endpoint("steward_programme", "stewards:programme", lambda p: r("stewards:programme")),
        Endpoint("steward_apply", "stewards:apply", lambda p: r("stewards:apply")),
        Endpoint(
            "steward_training",
            "stewards:record_training",
            lambda p: r("stewards:record_training"),
            method="post",
            data=lambda p: {"title": "x"},
        ),
        Endpoint(
            "steward_decide",
            "stewards:decide",
            lambda p: r("stewards:decide", p.application.pk),
            method="post",
            data=lambda p: {"decision": "select"},
        ),
        Endpoint(
            "steward_activate",
            "stewards:activate",
            lambda p: r("stewards:activate", p.application.pk),
            method="post",
            data=lambda p: {f"a{p.application.pk}-grid": p.grid.pk},
        ),
        Endpoint("steward_roster", "stewards:roster", lambda p: r("stewards:roster", p.grid.pk)),
        Endpoint("patrol_list", "patrols:list", lambda p: r("patrols:list", p.grid.pk)),
        Endpoint("finding_photo", "patrols:finding_photo", lambda p: r("patrols:finding_photo", p.finding.pk)),
        Endpoint("visit_list", "visits:list", lambda p: r("visits:list", p.grid.pk)),
        Endpoint("safety_register", "firesafety:register", lambda p: r("firesafety:register", p.grid.pk)),
        Endpoint(
            "safety_add",
            "firesafety:register",
            lambda p: r("firesafety:register", p.grid.pk),
            method="post",
            data=lambda p: {"building": p.item.building_id, "kind": "hydrant", "location": "东门"},
        ),
        Endpoint(
            "safety_check",
            "firesafety:check",
            lambda p: r("firesafety:check", p.item.pk),
            method="post",
            data=lambda p: {"state": "ok"},
        ),
        Endpoint("dispute_list", "disputes:list", lambda p: f"{r('disputes:list')}?grid={p.grid.pk}"),
        Endpoint("dispute_detail", "disputes:detail", lambda p: r("disputes:detail", p.dispute.pk)),
        Endpoint(
            "dispute_session",
            "disputes:add_session",
            lambda p: r("disputes:add_session", p.dispute.pk),
            method="post",
            data=lambda p: {"note": "双方到场，初步达成一致"},
        ),
        Endpoint(
            "dispute_conclude",
            "disputes:conclude",
            lambda p: r("disputes:conclude", p.dispute.pk),
            method="post",
            data=lambda p: {"status": "settled", "outcome": "已调解"},
        ),
        Endpoint("dispute_agreement", "disputes:agreement", lambda p: r("disputes:agreement", p.dispute.pk)),
        Endpoint("screening_status", "disputes:screening", lambda p: r("disputes:screening")),
    ]
}

# The sync endpoint answers per entry, not per request: it has its own tests below.
UNSCOPED_ROUTES = {"field:sync"}


def _parse(table: str) -> dict[tuple[str, str, str], str]:
    lines = [line.split() for line in table.strip().splitlines()]
    header, rows = lines[0][1:], lines[1:]
    assert header == ROLES
    cells: dict[tuple[str, str, str], str] = {}
    for name, *answers in rows:
        assert name in ENDPOINTS, name
        assert len(answers) == len(ROLES), name
        for role, answer in zip(ROLES, answers, strict=True):
            own, _slash, other = answer.partition("/")
            cells[(name, role, "own_area")] = own
            cells[(name, role, "other_area")] = other or own
    return cells


CELLS = _parse(TABLE)


def _records(grid: Grid, walker: User) -> Place:
    building = Building.objects.filter(grid=grid).first() or Building.objects.create(
        grid=grid, code=f"{grid.code}-001", name="外楼", address=f"{grid.code}外路1号"
    )
    patrol = Patrol.objects.create(grid=grid, walker=walker, started_at=timezone.now())
    finding = Finding(
        patrol=patrol, item=ChecklistItem.objects.filter(street__isnull=True).first(), found_at=timezone.now()
    )
    finding.photo.save("bin.png", ContentFile(PNG), save=True)
    item = SafetyItem.objects.create(building=building, kind="extinguisher", location="1楼")
    dispute = Dispute.objects.create(
        grid=grid, kind="neighbour", summary="<script>alert(1)</script>噪音", mediator=walker, found_at=timezone.now()
    )
    dispute.agreement.save("agreement.pdf", ContentFile(b"%PDF-1.4 test"), save=True)
    DisputeParty.objects.create(dispute=dispute, name_cipher="x", name_masked="王*")
    applicant = User.objects.create(username=f"applicant_{grid.code}", role=Role.RESIDENT)
    application = StewardApplication.objects.create(applicant=applicant, community=grid.community, motivation="想帮忙")
    return Place(grid, finding, item, dispute, application)


@dataclass
class World:
    places: dict[str, Place]  # "a", "a2", "b", "x"


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> World:
    settings.MEDIA_ROOT = tmp_path
    grid_a, grid_a2 = Grid.objects.get(code="51011600400101"), Grid.objects.get(code="51011600400102")
    grid_b = Grid.objects.get(code="51011600400201")
    street_x = Street.objects.create(code="510116999", name="外街道", district="双流区", city="成都市")
    community_x = Community.objects.create(street=street_x, code="510116999001", name="外社区")
    grid_x = Grid.objects.create(community=community_x, code="51011699900101", seq=1, name="外网格")
    building = Building.objects.create(grid=grid_x, code="51011699900101-001", name="外楼", address="外街道外路1号")
    Household.objects.create(
        house=House.objects.create(building=building, room="101"), grid=grid_x, code="5101169990010100", head_name="外"
    )
    walker = User.objects.get(username="wanjia01_worker")
    return World({k: _records(g, walker) for k, g in {"a": grid_a, "a2": grid_a2, "b": grid_b, "x": grid_x}.items()})


PERSON = {
    "street_admin": "jj_admin",
    "community_staff": "wanjia_staff",
    "grid_leader": "wanjia01_leader",
    "grid_worker": "wanjia01_worker",
    "steward": "wanjia01_steward1",
    "resident": "resident_demo",
    "merchant": "merchant_demo",
}


def _place(world: World, role: str, area: str) -> Place:
    if area == "own_area":
        return world.places["a"]
    return world.places[{"street_admin": "x", "grid_leader": "a2", "grid_worker": "a2", "steward": "a2"}.get(role, "b")]


def outcome(response: Any) -> str:
    if response.status_code == 302:
        return "login" if response.url.startswith(reverse("accounts:login")) else "302"
    return str(response.status_code)


@pytest.mark.parametrize(("endpoint", "role", "area"), [pytest.param(*k, id="-".join(k)) for k in CELLS])
def test_field_access_table(endpoint: str, role: str, area: str, world: World, client: Any) -> None:
    if role != "anonymous":
        user = (
            User.objects.filter(role=Role.RESPONDER).order_by("id").first()
            if role == "responder"
            else User.objects.get(username=PERSON[role])
        )
        assert user is not None and user.role == role
        client.force_login(user, backend="civicgrid.accounts.backends.UsernameOrPhoneBackend")
    response = ENDPOINTS[endpoint].call(client, _place(world, role, area))
    expected = CELLS[(endpoint, role, area)]
    assert outcome(response) == expected, f"{endpoint} as {role} in {area}: {response.status_code}"


def _routes(patterns: list[Any], namespace: str = "", prefix: str = "") -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            found |= _routes(p.url_patterns, p.namespace or namespace, prefix + str(p.pattern))
        elif isinstance(p, URLPattern) and p.name:
            found.add((f"{namespace}:{p.name}" if namespace else p.name, prefix + str(p.pattern)))
    return found


def test_every_field_route_has_a_row_in_the_table() -> None:
    routes = {name for name, path in _routes(get_resolver().url_patterns) if path.startswith("field/")}
    covered = {e.route for e in ENDPOINTS.values()}
    assert routes - covered - UNSCOPED_ROUTES == set(), "a new page under /field/ needs a row in TABLE"
    assert covered - routes == set()


# --- the sync endpoint: per entry, in the sender's own grid only --------------------------------------------------


def _sync(client: Any, user: User, entries: list[dict[str, Any]], **files: Any) -> Any:
    return client.post(reverse("field:sync"), {"user": str(user.pk), "entries": json.dumps(entries), **files})


def _visit(household: Household) -> dict[str, Any]:
    return {"client_id": str(uuid.uuid4()), "kind": "visit", "data": {"household_id": household.pk, "found": "好"}}


@pytest.mark.parametrize("person", ["steward_a", "worker_a"])
def test_a_steward_or_worker_records_in_their_grid_and_gets_an_error_per_entry_for_another(
    person: str, request: Any, client_as: Any, grid_b: Grid, worker_a2: User
) -> None:
    user = request.getfixturevalue(person)
    own = Household.objects.filter(grid=user.grid).first()
    others = [Household.objects.filter(grid=grid_b).first(), Household.objects.filter(grid=worker_a2.grid).first()]
    entries = [_visit(own), *(_visit(h) for h in others)]
    entries.append({"client_id": str(uuid.uuid4()), "kind": "patrol_start", "data": {"grid_id": grid_b.pk}})
    entries.append(
        {
            "client_id": str(uuid.uuid4()),
            "kind": "dispute",
            "data": {"grid_id": grid_b.pk, "kind": "other", "summary": "x", "parties": [{"name": "王"}]},
        }
    )
    results = _sync(client_as(user), user, entries).json()["results"]
    assert [x["status"] for x in results] == ["created", "error", "error", "error", "error"]
    assert all(x["message"] for x in results[1:])
    assert Visit.objects.filter(visitor=user).count() == 1
    assert SyncReceipt.objects.filter(user=user).count() == 1


def test_staff_record_nothing_through_the_sync(client_as: Any, staff_a: User, grid_a: Grid) -> None:
    entry = _visit(Household.objects.filter(grid=grid_a).first())
    results = _sync(client_as(staff_a), staff_a, [entry]).json()["results"]
    assert results[0]["status"] == "error"
    assert not Visit.objects.exists()


def test_an_expired_session_gets_401_json_and_no_redirect(client: Any, steward_a: User) -> None:
    response = _sync(client, steward_a, [])
    assert response.status_code == 401 and "error" in response.json()


def test_entries_queued_for_another_account_are_refused_as_a_whole(
    client_as: Any, steward_a: User, worker_a: User
) -> None:
    entry = _visit(Household.objects.filter(grid=steward_a.grid).first())
    response = _sync(client_as(steward_a), worker_a, [entry])
    assert response.status_code == 409
    assert not Visit.objects.exists()


def test_community_staff_see_their_communitys_field_records_and_not_the_others(
    client_as: Any, staff_a: User, world: World
) -> None:
    client = client_as(staff_a)
    overview = client.get(reverse("field:overview"))
    assert {g.pk for g in overview.context["grids"]} == set(
        Grid.objects.filter(community_id=staff_a.community_id).values_list("pk", flat=True)
    )
    listed = client.get(reverse("disputes:list")).context["page"].paginator.object_list
    assert {d.pk for d in listed} == {world.places["a"].dispute.pk, world.places["a2"].dispute.pk}
    html = client.get(reverse("disputes:detail", args=[world.places["a"].dispute.pk])).content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_a_steward_sees_only_their_own_grids_disputes(client_as: Any, steward_a: User, world: World) -> None:
    listed = client_as(steward_a).get(reverse("disputes:list")).context["page"].paginator.object_list
    assert {d.pk for d in listed} == {world.places["a"].dispute.pk}
