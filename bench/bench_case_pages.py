"""The grid worker's inbox and the case page, with a million cases in the database.

(a) Queries per page, which must not depend on the data: the inbox with 10 and 50 rows per page, the case page of a
case with 3 and with 30 timeline events. Unequal counts fail the benchmark.
(b) Median latency of the whole request through Django's test client (session, permission checks, the page's
queries, its buttons, the template) against the raw SQL of the same rows run through `connection.cursor()`, on
the same pages, in the same run: for the inbox the page's 50 rows; for the case page the case's row and its
timeline.
(c) The query plan of the inbox (EXPLAIN): it must reach the worker's cases through an index, not a scan.

The world is the demo street (98 grids, its year of cases) topped up to the target number of cases with plain
multi-row writes (COPY on PostgreSQL, executemany on SQLite): a history spread over ten years, two timeline events
each, 80 open cases per grid (0.8 % of a million; a third of them overdue). Target: 1,000,000 cases on PostgreSQL — run it
as `DATABASE_URL=postgres://postgres@127.0.0.1:5432/civicgrid_cases1m python -m bench case_pages`; the benchmark
refuses any other PostgreSQL database, so that a million rows never land in a shared one — and 100,000 on SQLite
(BENCH_SCALE=small; 1,000,000 with BENCH_SCALE=large). The top-up happens once; later runs only check the count.
"""

from __future__ import annotations

import random
import statistics
import time
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

from django.core.management.color import no_style
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bench.common import Context, Result
from bench.db import ensure_world, holds, machine, migrate, production_like, seed

PG_DATABASE = "civicgrid_cases1m"
REQUESTS = 40
WARMUP = 5
BACKEND = "civicgrid.accounts.backends.UsernameOrPhoneBackend"
OPEN_PER_GRID = 80  # open cases per grid, whatever the total: the inbox shows full pages at both scales
CHUNK = 100_000  # rows generated and written at a time
YEARS = 10
SEED = 1_000_003
MARK = "BENCHEV"  # tracking-code prefix of the two cases with a known number of events


def target(ctx: Context) -> int:
    return 1_000_000 if ctx.large or ctx.database == "postgresql" else 100_000


# --- the world -------------------------------------------------------------------------------------------------


def case_columns() -> list[str]:
    from civicgrid.cases.models import Case

    return [f.column for f in Case._meta.concrete_fields if f.column]


def top_up(n: int) -> float:
    """Add `n` cases (and two events each) to the street; seconds spent."""
    from civicgrid.accounts.choices import Role
    from civicgrid.accounts.models import User
    from civicgrid.cases.choices import Channel, Kind, Satisfaction, Status
    from civicgrid.cases.models import Case, CaseEvent, Category
    from civicgrid.responders.models import Responder

    rng = random.Random(SEED + Case.objects.count())
    t0 = time.perf_counter()
    grids = list(
        User.objects.filter(role=Role.GRID_WORKER, grid__isnull=False)
        .order_by("grid__code")
        .values_list("grid_id", "grid__community_id", "id")
    )
    cats = list(Category.objects.filter(parent__isnull=False).values_list("id", "accept_minutes", "resolve_minutes"))
    units = list(Responder.objects.values_list("id", flat=True))
    now = datetime.now().astimezone()
    span = YEARS * 365 * 24 * 3600
    first_id = (Case.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    first_event = (CaseEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    columns = case_columns()
    # Columns added to Case later than this benchmark get their defaults.
    defaults = {f.column: f.get_default() for f in Case._meta.concrete_fields}
    open_statuses = [Status.SUBMITTED, Status.ACCEPTED, Status.DISPATCHED, Status.ACKNOWLEDGED, Status.IN_PROGRESS]
    descriptions = [
        "楼下垃圾桶满了没人清运",
        "电动车堵住了单元门口",
        "路灯坏了好几天",
        "楼上装修噪音太大",
        "下水道堵了",
    ]
    event_columns = ["id", "case_id", "at", "actor_id", "actor_label", "action", "from_status", "to_status", "note"]
    event_columns.append("public")
    open_share = min(1.0, OPEN_PER_GRID * len(grids) / n)
    cases: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []

    def flush() -> None:
        with transaction.atomic():
            write_rows(Case._meta.db_table, columns, cases)
            write_rows(CaseEvent._meta.db_table, event_columns, events)
        cases.clear()
        events.clear()

    for i in range(n):
        if len(cases) == CHUNK:
            flush()
        pk = first_id + i
        grid_id, community_id, owner_id = grids[i % len(grids)]
        cat_id, accept_m, resolve_m = cats[rng.randrange(len(cats))]
        is_open = rng.random() < open_share
        age = rng.random() * (3 * 24 * 3600 if is_open else span)
        created = now - timedelta(seconds=age)
        accepted = created + timedelta(minutes=rng.randint(5, max(accept_m, 6)))
        status = rng.choice(open_statuses) if is_open else (Status.SURVEYED if rng.random() < 0.6 else Status.CLOSED)
        overdue = is_open and rng.random() < 0.33
        closed = None if is_open else accepted + timedelta(minutes=rng.randint(30, resolve_m * 3 + 60))
        accepted_at = None if status == Status.SUBMITTED else accepted
        responder = rng.choice(units) if status in (Status.DISPATCHED, Status.ACKNOWLEDGED) else None
        row = defaults | {
            "id": pk,
            "tracking_code": f"B{pk:09d}",
            "kind": Kind.COMPLAINT,
            "category_id": cat_id,
            "description": descriptions[i % len(descriptions)],
            "channel": Channel.WEB,
            "urgency": "normal",
            "lat": None,
            "lng": None,
            "address_text": "",
            "building_id": None,
            "grid_id": grid_id,
            "community_id": community_id,
            "reporter_id": None,
            "reporter_name": "",
            "reporter_phone_cipher": "",
            "reporter_phone_digest": "",
            "reporter_phone_masked": "",
            "reporter_email": "",
            "anonymous": False,
            "recorded_by_id": None,
            "status": status,
            "owner_id": owner_id,
            "responder_id": responder,
            "on_the_spot": False,
            "parked_reason": "",
            "merged_into_id": None,
            "satisfaction": Satisfaction.SATISFIED if status == Status.SURVEYED else "",
            "accept_due_at": created + timedelta(minutes=accept_m),
            "resolve_due_at": None if accepted_at is None else accepted + timedelta(minutes=resolve_m),
            "warned_at": None,
            "overdue": overdue,
            "escalation_level": 1 if overdue else 0,
            "created_at": created,
            "accepted_at": accepted_at,
            "dispatched_at": None,
            "acknowledged_at": None,
            "resolved_at": closed,
            "closed_at": closed,
            "surveyed_at": closed if status == Status.SURVEYED else None,
            "updated_at": closed or accepted_at or created,
            "rework_count": 0,
            "redo_count": 0,
            "return_count": 0,
            "extension_count": 0,
            "accepted_on_time": None if accepted_at is None else True,
            "resolved_on_time": None if closed is None else rng.random() < 0.9,
        }
        cases.append(tuple(row[c] for c in columns))
        events.append((first_event + 2 * i, pk, created, None, "public", "submit", "", Status.SUBMITTED, "", True))
        events.append((first_event + 2 * i + 1, pk, closed or accepted, owner_id, "", "close", "", status, "", True))
    with transaction.atomic():
        flush()
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), [Case, CaseEvent]):
                cursor.execute(sql)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_case")
            cursor.execute("ANALYZE cases_caseevent")
    return time.perf_counter() - t0


def write_rows(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    qn = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3: COPY, the fastest way in
            with raw.copy(f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        adapt = connection.ops.adapt_datetimefield_value
        sql = (
            f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({', '.join(['%s'] * len(columns))})"
        )
        for start in range(0, len(rows), 20_000):
            batch = [
                tuple(adapt(v) if isinstance(v, datetime) else v for v in row) for row in rows[start : start + 20_000]
            ]
            cursor.executemany(sql, batch)


def marked_cases(worker: Any) -> tuple[int, int]:
    """Two cases of the worker's grid, dispatched to the same unit, with exactly 3 and 30 timeline events."""
    from civicgrid.cases import services
    from civicgrid.cases.models import Case, CaseEvent

    found = dict(Case.objects.filter(tracking_code__in=[f"{MARK}03", f"{MARK}30"]).values_list("tracking_code", "id"))
    if len(found) == 2:
        return found[f"{MARK}03"], found[f"{MARK}30"]
    ids = []
    for n in (3, 30):
        case, _ = services.submit_case(
            worker,
            services.Intake(
                description="单元门口电动车乱停，堵住了消防通道", category_code="0201", grid_id=worker.grid_id
            ),
        )
        case = services.take_step(worker, case, "accept")
        case = services.take_step(worker, case, "dispatch")
        extra = n - case.events.count()
        t = case.created_at
        CaseEvent.objects.bulk_create(
            [
                CaseEvent(case=case, at=t + timedelta(minutes=k), actor=worker, action="note", note=f"跟进记录 {k}")
                for k in range(extra)
            ]
        )
        Case.objects.filter(pk=case.pk).update(tracking_code=f"{MARK}{n:02d}")
        assert case.events.count() == n
        ids.append(case.pk)
    return ids[0], ids[1]


def ensure_street() -> None:
    """The demo street in this database: seeded into an empty one (civicgrid_cases1m is not named "bench", and
    bench.db only empties databases that are), else as bench.db keeps it."""
    from civicgrid.areas.models import Street

    migrate()
    if not holds("street") and not Street.objects.exists():
        print("   (case_pages: seeding the street world, once)", flush=True)
        seed("street")
    ensure_world("street")


# --- measuring -------------------------------------------------------------------------------------------------


def page_size(n: int) -> type[Paginator]:
    class Fixed(Paginator):
        def __init__(self, object_list: Any, per_page: int | str, *args: Any, **kwargs: Any) -> None:
            super().__init__(object_list, n, *args, **kwargs)

    return Fixed


def get(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"case_pages: GET {url} answered {response.status_code}")


def queries(client: Client, url: str, per_page: int | None = None) -> list[str]:
    patch = mock.patch("civicgrid.cases.views.Paginator", page_size(per_page)) if per_page else mock.MagicMock()
    with patch, CaptureQueriesContext(connection) as ctx:
        get(client, url)
    return [q["sql"] for q in ctx.captured_queries]


def timed_requests(client: Client, url: str) -> list[float]:
    out = []
    for _ in range(REQUESTS):
        t0 = time.perf_counter()
        get(client, url)
        out.append(time.perf_counter() - t0)
    return out


def timed_sql(statements: list[tuple[str, Any]]) -> list[float]:
    out = []
    with connection.cursor() as cursor:
        for _ in range(REQUESTS):
            t0 = time.perf_counter()
            for sql, params in statements:
                cursor.execute(sql, params)
                cursor.fetchall()
            out.append(time.perf_counter() - t0)
    return out


def plan(qs: Any) -> str:
    if connection.vendor == "postgresql":
        return str(qs.explain(analyze=True, buffers=True))
    return str(qs.explain())


def run(ctx: Context) -> list[Result]:
    from civicgrid.accounts.choices import Role
    from civicgrid.accounts.models import User
    from civicgrid.cases import selectors
    from civicgrid.cases.models import Case

    if ctx.database == "postgresql" and connection.settings_dict["NAME"] != PG_DATABASE:
        print(f"   case_pages: skipped: on PostgreSQL it runs only on the database {PG_DATABASE} (a million rows)")
        return []
    ensure_street()
    have = Case.objects.count()
    wanted = target(ctx)
    seconds = 0.0
    if have < wanted:
        print(f"   (case_pages: adding {wanted - have:,} cases, once)", flush=True)
        seconds = top_up(wanted - have)
    total = Case.objects.count()

    worker = User.objects.filter(role=Role.GRID_WORKER).order_by("grid__code").select_related("grid").first()
    assert worker is not None
    three, thirty = marked_cases(worker)
    client = Client()
    client.force_login(worker, backend=BACKEND)
    inbox, detail3, detail30 = "/cases/", f"/cases/{three}/", f"/cases/{thirty}/"
    for url in (inbox, detail3, detail30):
        for _ in range(WARMUP):
            get(client, url)

    # (a) queries per page
    counted = {
        "inbox, 50 rows": queries(client, inbox, 50),
        "inbox, 10 rows": queries(client, inbox, 10),
        "case page, 3 events": queries(client, detail3),
        "case page, 30 events": queries(client, detail30),
    }
    sizes = {k: len(v) for k, v in counted.items()}
    if sizes["inbox, 50 rows"] != sizes["inbox, 10 rows"]:
        raise AssertionError(f"case_pages: the inbox's query count changes with its page size: {sizes}")
    if sizes["case page, 3 events"] != sizes["case page, 30 events"]:
        raise AssertionError(f"case_pages: the case page's query count changes with its timeline: {sizes}")

    # (c) the inbox's plan
    inbox_qs = selectors.worker_inbox(worker)
    inbox_plan = plan(inbox_qs[:50])
    seq_scan = "Seq Scan on cases_case" in inbox_plan or "SCAN cases_case\n" in inbox_plan + "\n"
    open_in_grid = inbox_qs.count()

    # (b) latency against the raw SQL of the same rows
    inbox_sql = [inbox_qs[:50].query.sql_with_params()]
    case = selectors.cases_for(worker).filter(pk=thirty)
    detail_sql = [
        case.query.sql_with_params(),
        selectors.case_timeline(Case.objects.get(pk=thirty)).query.sql_with_params(),
    ]
    with production_like():
        inbox_s = timed_requests(client, inbox)
        detail_s = timed_requests(client, detail30)
        inbox_raw = timed_sql(inbox_sql)
        detail_raw = timed_sql(detail_sql)

    where = {
        "cases": total,
        "open_in_inbox": open_in_grid,
        "worker": worker.username,
        "top_up_seconds": round(seconds, 1),
        **machine(),
    }

    def p90(samples: list[float]) -> float:
        return round(statistics.quantiles(samples, n=10)[-1] * 1000, 3)

    return [
        Result(
            "case_pages inbox queries",
            sizes["inbox, 50 rows"],
            "queries",
            "same page, 10 rows per page",
            sizes["inbox, 10 rows"],
            notes={**where, "counts": sizes, "queries": [q[:100] for q in counted["inbox, 50 rows"]]},
        ),
        Result(
            "case_pages detail queries",
            sizes["case page, 30 events"],
            "queries",
            "case page with 3 events",
            sizes["case page, 3 events"],
            notes={**where, "queries": [q[:100] for q in counted["case page, 30 events"]]},
        ),
        Result(
            "case_pages inbox median latency",
            round(statistics.median(inbox_s) * 1000, 3),
            "ms",
            "raw SELECT of the page's 50 rows",
            round(statistics.median(inbox_raw) * 1000, 3),
            notes={
                **where,
                "p90_ms": p90(inbox_s),
                "baseline_p90_ms": p90(inbox_raw),
                "plan_uses_index": not seq_scan,
                "plan": inbox_plan.splitlines()[:14],
            },
        ),
        Result(
            "case_pages detail median latency",
            round(statistics.median(detail_s) * 1000, 3),
            "ms",
            "raw SELECT of the case and its 30 events",
            round(statistics.median(detail_raw) * 1000, 3),
            notes={**where, "p90_ms": p90(detail_s), "baseline_p90_ms": p90(detail_raw)},
        ),
    ]
