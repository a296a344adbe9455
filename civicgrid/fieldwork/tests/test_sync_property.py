"""The batch sync, for any order of sends: each client id creates exactly one record, however often it is resent.

Two phones (a steward of grid A and the grid worker of grid B) queue entries: patrols (start, findings, finish),
visits and disputes, some of them invalid (a household of another grid, an unknown kind). Then they send random
shuffled subsets of their queues, interleaved, resending what they sent before — as phones on a bad network do.
At the end each phone sends its whole queue in order, as field.js does once the network is back. Whatever
happened before, the records are exactly the valid entries, one each.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from civicgrid.accounts.models import User
from civicgrid.disputes.models import Dispute
from civicgrid.fieldwork.models import SyncReceipt
from civicgrid.fieldwork.services import accept_batch
from civicgrid.patrols.models import Finding, Patrol
from civicgrid.people.models import Household
from civicgrid.visits.models import Visit

SHARED = settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    deadline=None,
    max_examples=25,
)

# What a phone queues: a patrol with n findings, a visit in its own or another grid, a dispute, or nonsense.
plans = st.lists(
    st.one_of(
        st.tuples(st.just("patrol"), st.integers(0, 3), st.booleans()),
        st.tuples(st.sampled_from(["visit", "visit_elsewhere", "dispute", "bad_kind"]), st.just(0), st.just(False)),
    ),
    min_size=1,
    max_size=5,
)


@dataclass
class Phone:
    user: User
    entries: list[dict[str, Any]] = field(default_factory=list)
    valid: Counter[str] = field(default_factory=Counter)  # model → how many records the valid entries make
    valid_ids: set[str] = field(default_factory=set)


def queue(phone: Phone, plan: list[tuple[str, int, bool]], own: Household, elsewhere: Household) -> None:
    def add(kind: str, data: dict[str, Any], model: str | None) -> str:
        cid = str(uuid.uuid4())
        phone.entries.append({"client_id": cid, "kind": kind, "data": data})
        if model:
            phone.valid[model] += 1
            phone.valid_ids.add(cid)
        return cid

    for what, findings, finished in plan:
        if what == "patrol":
            patrol = add("patrol_start", {"grid_id": phone.user.grid_id}, "patrol")
            for i in range(findings):
                add(
                    "finding",
                    {"patrol": patrol, "item": "clutter", "note": f"已清理{i}", "solved_on_spot": True},
                    "finding",
                )
            if finished:
                add("patrol_finish", {"patrol": patrol, "note": "完"}, "finish")
        elif what == "visit":
            add("visit", {"household_id": own.pk, "found": "一切正常"}, "visit")
        elif what == "visit_elsewhere":
            add("visit", {"household_id": elsewhere.pk}, None)
        elif what == "dispute":
            add("dispute", {"kind": "neighbour", "summary": "噪音", "parties": [{"name": "王五"}]}, "dispute")
        else:
            add("no_such_kind", {}, None)


@SHARED
@given(plan_a=plans, plan_b=plans, data=st.data())
def test_each_client_id_creates_exactly_one_record_whatever_the_retries(
    plan_a: list[Any], plan_b: list[Any], data: st.DataObject, steward_a: User, worker_b: User
) -> None:
    home_a = Household.objects.filter(grid=steward_a.grid).order_by("id").first()
    home_b = Household.objects.filter(grid=worker_b.grid).order_by("id").first()
    assert home_a is not None and home_b is not None
    with transaction.atomic():
        phones = [Phone(steward_a), Phone(worker_b)]
        queue(phones[0], plan_a, home_a, home_b)
        queue(phones[1], plan_b, home_b, home_a)
        created: Counter[str] = Counter()

        def send(phone: Phone, batch: list[dict[str, Any]]) -> None:
            results = accept_batch(phone.user, batch)
            assert [r["client_id"] for r in results] == [e["client_id"] for e in batch]
            for r in results:
                assert r["status"] in ("created", "duplicate", "error")
                if r["status"] == "created":
                    created[r["client_id"]] += 1
                if r["client_id"] not in phone.valid_ids:
                    assert r["status"] == "error", r  # an invalid entry never makes anything

        # Random sends: a phone, a shuffled subset of its queue (resending freely), interleaved with the other.
        for _ in range(data.draw(st.integers(0, 6), label="sends")):
            phone = phones[data.draw(st.integers(0, 1), label="phone")]
            batch = data.draw(st.permutations(phone.entries), label="order")[: data.draw(st.integers(1, 20))]
            send(phone, batch)
        # The network is back: each phone sends its whole queue in order, and once more (the answer got lost).
        for phone in phones * 2:
            send(phone, phone.entries)

        assert all(n == 1 for n in created.values()), "a client id was created twice"
        for phone in phones:
            cids = [e["client_id"] for e in phone.entries]
            receipts = SyncReceipt.objects.filter(client_id__in=cids)
            assert {str(r.client_id) for r in receipts} == phone.valid_ids
            assert all(r.user_id == phone.user.pk for r in receipts)
            assert set(created) >= phone.valid_ids
            assert Patrol.objects.filter(client_id__in=cids).count() == phone.valid["patrol"]
            assert Patrol.objects.filter(client_id__in=cids, finished_at__isnull=False).count() == phone.valid["finish"]
            assert Finding.objects.filter(client_id__in=cids).count() == phone.valid["finding"]
            assert Visit.objects.filter(client_id__in=cids).count() == phone.valid["visit"]
            assert Dispute.objects.filter(client_id__in=cids).count() == phone.valid["dispute"]
        transaction.set_rollback(True)


def test_a_client_id_sent_by_another_account_is_refused_and_reveals_nothing(steward_a: User, worker_a: User) -> None:
    entry = {
        "client_id": str(uuid.uuid4()),
        "kind": "dispute",
        "data": {"kind": "other", "summary": "x", "parties": [{"name": "赵六"}]},
    }
    assert accept_batch(steward_a, [entry])[0]["status"] == "created"
    again = accept_batch(worker_a, [entry])[0]
    assert again["status"] == "error" and "id" not in again
    assert accept_batch(steward_a, [entry])[0]["status"] == "duplicate"


def test_the_same_client_id_twice_in_one_batch_makes_one_record(steward_a: User) -> None:
    household = Household.objects.filter(grid=steward_a.grid).first()
    assert household is not None
    entry = {"client_id": str(uuid.uuid4()), "kind": "visit", "data": {"household_id": household.pk}}
    results = accept_batch(steward_a, [entry, dict(entry)])
    assert [r["status"] for r in results] == ["created", "duplicate"]
    assert results[0]["id"] == results[1]["id"]
    assert Visit.objects.filter(client_id=entry["client_id"]).count() == 1


def test_a_finding_uses_the_streets_own_checklist_item_once_it_has_one(steward_a: User, street_admin: User) -> None:
    from civicgrid.patrols.services import customise_checklist

    own = {i.code: i for i in customise_checklist(street_admin, steward_a.grid.community.street_id)}
    patrol = str(uuid.uuid4())
    results = accept_batch(
        steward_a,
        [
            {"client_id": patrol, "kind": "patrol_start", "data": {}},
            {
                "client_id": str(uuid.uuid4()),
                "kind": "finding",
                "data": {"patrol": patrol, "item": "clutter", "note": "已清理", "solved_on_spot": True},
            },
        ],
    )
    assert [r["status"] for r in results] == ["created", "created"]
    assert Finding.objects.get(pk=results[1]["id"]).item == own["clutter"]
