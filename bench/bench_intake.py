"""Case intake over HTTP, and Open311's GET requests, against gunicorn on a database of its own.

What is measured (each figure against a baseline taken in the same run):

- **Intake**: closed-loop clients (4 and 16 threads, each with one keep-alive `http.client` connection) POST
  reports for `BENCH_INTAKE_SECONDS` (10 s) each, through (a) the JSON API `POST /api/v1/cases` with `X-API-Key`,
  a fresh `Idempotency-Key` per report and no category (so the classifier chooses it), and (b) Open311
  `POST /open311/v2/requests.json` with `api_key`, a `service_code` and a fresh `Idempotency-Key`. Every report goes
  the whole way: key check, classification (JSON API), routing (point → grid → owner), time limits, the case, its
  idempotency key, its timeline event, the audit trail's hash chain, the owner's notification, all committed before
  the answer. Figures: cases/s (2xx answers per second; every one checked to be a new case) and p50/p99 latency.
  Baseline: raw `INSERT`s of the very rows these runs created (copied, `executemany` in one transaction) into
  `cases_case`, rows/s. The latency baseline is the same server answering `GET discovery.json` (its floor).
- **Open311 GET requests.json**, the default 90-day window holding exactly 500 requests (a third of them accepted
  or rejected, so status notes come from real timelines): median latency of one client, and requests/s of four.
  Baseline: the same rows read with raw SQL and written with `json.dumps`, in process.

The server is `gunicorn config.wsgi` (gthread; `BENCH_INTAKE_WORKERS` × `BENCH_INTAKE_THREADS`, default 2 × 4)
with DEBUG off and persistent database connections (CONN_MAX_AGE 600). Its database is its own: SQLite in
var/bench/intake/ or, when DATABASE_URL names PostgreSQL, the database `civicgrid_intake` on the same server. The
cases of earlier runs are deleted first (the demo street stays). Clients and server share the machine's cores.

`python -m bench intake` runs it; the work happens in a child process (`python -m bench.bench_intake`) whose
Django is set up on that database.
"""

from __future__ import annotations

import fcntl
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from bench.common import Context, Result

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench" / "intake"
PG_DATABASE = "civicgrid_intake"
DURATION = float(os.environ.get("BENCH_INTAKE_SECONDS", "10"))
WORKERS = int(os.environ.get("BENCH_INTAKE_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_INTAKE_THREADS", "4"))
CLIENTS = (4, 16)
WINDOW_REQUESTS = 500
AIM_CASES_PER_S = {"postgresql": 300, "sqlite": 150}
AIM_P99_MS = 200
# The development data key: the bench database holds demo data sealed with it.
DATA_KEY = "development-only-data-key-never-use-in-production"

REPORTS = [
    "小区门口的垃圾桶满了两天了，味道很大，麻烦尽快清运",
    "3栋楼道里堆了好多旧家具和纸箱，过不去人",
    "楼下有人飞线给电动车充电，电线从窗户拉下来，太危险了",
    "消防通道被几辆私家车堵死了，救护车都进不来",
    "路灯坏了一个星期，晚上黑漆漆的，老人出门不方便",
    "下水道堵了，污水漫到人行道上",
    "楼上装修每天早上七点就开始电钻，吵得没法休息",
    "小区里的健身器材坏了，单杠晃得厉害，怕伤到小孩",
    "门口的人行道砖翘起来好几块，已经有人摔倒了",
    "楼道灯不亮，晚上上楼看不见",
    "电梯老是卡在5楼，里面还困过人",
    "河边有人乱倒建筑垃圾",
    "烧烤摊油烟太大，熏得窗户都不敢开",
    "小区门口电瓶车乱停，把出口都堵了",
    "想问一下居住证在哪里办，要带什么材料",
    "建议在小区里多装几个充电桩，现在大家都在楼道充电",
    "井盖松了，车一压就响，晚上特别吵",
    "有只流浪狗在小区里追小孩，怕咬人",
    "自来水发黄，烧开了还有沉淀",
    "公共厕所很久没人打扫了",
    "楼顶有人违规搭了个彩钢棚",
    "独居的王婆婆好几天没见出门了，敲门也没人应",
    "墙上贴满了小广告，刚刷的墙又被贴了",
    "绿化带的树倒了一棵，压在人行道上",
    "噪音扰民，楼下麻将馆打到凌晨两点",
    "燃气表那里有股味道，不知道是不是漏气",
    "停车位被人用地锁占了",
    "小区大门的门禁坏了，谁都能进来",
]


# --- load generation (the parent of gunicorn, in the child process) ------------------------------------------


@dataclass
class Run:
    """One closed-loop run: per-request latencies (s) and answers."""

    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    errors: int = 0
    bodies: list[bytes] = field(default_factory=list)

    @property
    def ok(self) -> int:
        return sum(n for s, n in self.statuses.items() if 200 <= s < 300)

    def rate(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    def pct(self, q: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


Request = tuple[str, str, bytes | None, dict[str, str]]


def load(port: int, clients: int, seconds: float, make: Callable[[random.Random], Request], keep: bool = False) -> Run:
    """`clients` threads, each on its own keep-alive connection, sending back to back for `seconds`."""
    run = Run(clients=clients)
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(n: int) -> None:
        rng = random.Random(n * 7919 + clients)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        latencies: list[float] = []
        statuses: dict[int, int] = {}
        bodies: list[bytes] = []
        errors = 0
        start.wait()
        while time.perf_counter() < deadline[0]:
            method, path, body, headers = make(rng)
            t0 = time.perf_counter()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            latencies.append(time.perf_counter() - t0)
            statuses[response.status] = statuses.get(response.status, 0) + 1
            if keep or not 200 <= response.status < 300:
                bodies.append(data)
        conn.close()
        with lock:
            run.latencies += latencies
            run.errors += errors
            run.bodies += bodies
            for s, n in statuses.items():
                run.statuses[s] = run.statuses.get(s, 0) + n

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    run.seconds = time.perf_counter() - t0
    return run


def sequential(port: int, n: int, make: Callable[[random.Random], Request]) -> list[float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    rng = random.Random(1)
    out = []
    for _ in range(n):
        method, path, body, headers = make(rng)
        t0 = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        out.append(time.perf_counter() - t0)
        if response.status != 200:
            raise AssertionError(f"intake: {method} {path} answered {response.status}")
    conn.close()
    return out


# --- the server ---------------------------------------------------------------------------------------------


def server_env(var: Path = VAR) -> dict[str, str]:
    """The environment of a benchmark server: production-like settings, its own var dir (SQLite database)."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CIVICGRID_VAR_DIR": str(var),
            "DJANGO_DEBUG": "0",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "CIVICGRID_DATA_KEY": DATA_KEY,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "CONN_MAX_AGE": "600",
            "LOG_LEVEL": "ERROR",
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    def __init__(self, workers: int = WORKERS, threads: int = THREADS, var: Path = VAR) -> None:
        self.var = var
        self.port = free_port()
        self.cmd = [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--keep-alive",
            "30",
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
        self.describe = f"gunicorn gthread {workers} workers × {threads} threads"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        self.proc = subprocess.Popen(self.cmd, cwd=ROOT, env=server_env(self.var), stdout=sys.stderr)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                conn.request("GET", "/open311/v2/discovery.json")
                if conn.getresponse().status == 200:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError("intake: gunicorn did not answer within 60 s")

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds consumed so far by these processes (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def cpu_probe(server: Server) -> Callable[[], dict[str, float]]:
    """Where the CPU goes: gunicorn's workers, the database's server processes (PostgreSQL backends of this
    database), and this process (the clients). Returns a function giving the seconds used so far."""
    from django.db import connection

    assert server.proc is not None
    master = server.proc.pid

    def pids() -> tuple[list[int], list[int]]:
        workers = [int(p) for p in Path(f"/proc/{master}/task/{master}/children").read_text().split()]
        backends: list[int] = []
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
                backends = [row[0] for row in cur.fetchall()]
        return workers, backends

    def now() -> dict[str, float]:
        workers, backends = pids()
        return {"server": _cpu_seconds(workers), "database": _cpu_seconds(backends), "clients": time.process_time()}

    return now


# --- the database -------------------------------------------------------------------------------------------


def prepare_database() -> None:
    """Migrate, hold the demo street, put back the categories a flush may have removed, delete earlier cases."""
    from django.apps import apps
    from django.db import connection, transaction
    from django.db.models import CASCADE

    from civicgrid.cases.models import Case, Category
    from civicgrid.notifications.models import Notification

    ensure_street()
    if not Category.objects.exists():
        __import__("importlib").import_module("civicgrid.cases.migrations.0002_default_data").load(apps, None)
    going = [Case, *_below(Case)]
    q = connection.ops.quote_name
    with transaction.atomic(), connection.cursor() as cur:
        # Rows elsewhere that point at what goes (a patrol finding, a merged case) let go of it first.
        for model in going:
            for rel in _reverse_relations(model):
                if rel.on_delete is not CASCADE or rel.related_model not in going:
                    table, column = rel.related_model._meta.db_table, rel.field.column
                    cur.execute(f"UPDATE {q(table)} SET {q(column)} = NULL WHERE {q(column)} IS NOT NULL")
        for model in reversed(going):
            cur.execute(f"DELETE FROM {q(model._meta.db_table)}")
        cur.execute(f"DELETE FROM {q(Notification._meta.db_table)}")


def ensure_street() -> None:
    """Migrate, and make this database hold the demo street (bench.db's world, seeded the same way). Emptying is
    done here, not by bench.db.empty(), which rightly refuses databases without "bench" in their name: this one
    is `civicgrid_intake` on PostgreSQL (var/bench/intake/ on SQLite)."""
    from django.core.management import call_command
    from django.db import connection

    from bench.db import SEED, holds, migrate
    from civicgrid.areas.models import Street

    migrate()
    if holds("street"):
        return
    name = str(connection.settings_dict["NAME"])
    if Street.objects.exists():
        if name != PG_DATABASE and not name.startswith(str(VAR)):
            raise RuntimeError(f"intake: refusing to empty {name!r}, which is not the intake benchmark's database")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("DROP SCHEMA public CASCADE")
                cur.execute("CREATE SCHEMA public")
        else:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)
        migrate()
    print("   (intake database: seeding the demo street, once)", file=sys.stderr, flush=True)
    call_command("seed_demo", scale="street", seed=SEED, stdout=sys.stderr)


def _reverse_relations(model: Any) -> list[Any]:
    """Foreign keys pointing at `model`, hidden ones (related_name="+") included."""
    from django.db.models import ForeignObjectRel

    fields = model._meta.get_fields(include_hidden=True)
    return [f for f in fields if isinstance(f, ForeignObjectRel) and not f.many_to_many]


def _below(model: Any, seen: set[Any] | None = None) -> list[Any]:
    """Models whose rows go when `model`'s rows go (CASCADE), deepest last."""
    from django.db.models import CASCADE

    seen = seen if seen is not None else {model}
    out = []
    for rel in _reverse_relations(model):
        if rel.on_delete is CASCADE and rel.related_model not in seen:
            seen.add(rel.related_model)
            out.append(rel.related_model)
            out += _below(rel.related_model, seen)
    return out


def fill_window() -> None:
    """500 requests in the last 90 days, a third with a further step (accepted, or rejected with a reason)."""
    from civicgrid.cases.models import Case
    from civicgrid.cases.services import Intake, submit_case, take_step
    from civicgrid.open311.resources import service_categories

    rng = random.Random(311)
    codes = list(service_categories().values_list("code", flat=True))
    points = grid_points()
    for i in range(WINDOW_REQUESTS):
        lat, lng = rng.choice(points)
        case, _ = submit_case(
            None,
            Intake(
                description=rng.choice(REPORTS),
                category_code=rng.choice(codes),
                lat=lat,
                lng=lng,
                channel="web",
                reporter_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
            ),
        )
        if i % 6 == 0:
            take_step(case.owner, case, "accept")
        elif i % 6 == 1:
            take_step(case.owner, case, "reject", "重复反映，已合并处理")
    n = Case.objects.count()
    if n != WINDOW_REQUESTS:
        raise AssertionError(f"intake: the window holds {n} requests, not {WINDOW_REQUESTS}")


def grid_points() -> list[tuple[float, float]]:
    from civicgrid.areas.models import Grid

    return [
        (lat, lng)
        for lat, lng in Grid.objects.exclude(centroid_lat=None).values_list("centroid_lat", "centroid_lng")
        if lat is not None and lng is not None
    ]


def raw_insert_rate(case_ids: list[int]) -> tuple[float, int]:
    """Copies of the given cases' rows inserted with one executemany in one transaction: (rows/s, rows)."""
    from django.db import connection, transaction

    from civicgrid.cases.models import Case

    fields = [f for f in Case._meta.concrete_fields if not f.primary_key]
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    marks = ", ".join(["%s"] * len(fields))
    sql = f"INSERT INTO {connection.ops.quote_name(Case._meta.db_table)} ({columns}) VALUES ({marks})"
    rows = []
    for case in Case.objects.filter(pk__in=case_ids).order_by("pk"):
        values = []
        for f in fields:
            value = getattr(case, f.attname)
            if f.name == "tracking_code":
                value = "B" + uuid.uuid4().hex[:11].upper()
            values.append(f.get_db_prep_save(value, connection))
        rows.append(values)
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.executemany(sql, rows)
    seconds = time.perf_counter() - t0
    Case.objects.filter(tracking_code__startswith="B", tracking_code__regex=r"^B[0-9A-F]{11}$").delete()
    return len(rows) / seconds, len(rows)


# --- requests -------------------------------------------------------------------------------------------------


def json_api_request(key: str, points: list[tuple[float, float]]) -> Callable[[random.Random], Request]:
    def make(rng: random.Random) -> Request:
        lat, lng = rng.choice(points)
        body: dict[str, Any] = {
            "description": rng.choice(REPORTS),
            "lat": lat + rng.uniform(-0.0005, 0.0005),
            "lng": lng + rng.uniform(-0.0005, 0.0005),
        }
        if rng.random() < 0.3:
            body["reporter_phone"] = f"138{rng.randint(10_000_000, 99_999_999)}"
        headers = {
            "Content-Type": "application/json",
            "X-API-Key": key,
            "Idempotency-Key": uuid.uuid4().hex,
        }
        return "POST", "/api/v1/cases", json.dumps(body).encode(), headers

    return make


def open311_request(
    key: str, points: list[tuple[float, float]], codes: list[str]
) -> Callable[[random.Random], Request]:
    def make(rng: random.Random) -> Request:
        lat, lng = rng.choice(points)
        form = {
            "api_key": key,
            "service_code": rng.choice(codes),
            "lat": f"{lat + rng.uniform(-0.0005, 0.0005):.6f}",
            "long": f"{lng + rng.uniform(-0.0005, 0.0005):.6f}",
            "description": rng.choice(REPORTS),
            "attribute[kind]": rng.choice(["help", "complaint", "report", "suggestion"]),
        }
        headers = {
            "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
            "Idempotency-Key": uuid.uuid4().hex,
        }
        return "POST", "/open311/v2/requests.json", urllib.parse.urlencode(form).encode(), headers

    return make


def get_request(path: str) -> Callable[[random.Random], Request]:
    return lambda rng: ("GET", path, None, {})


def created_codes(run: Run, channel: str) -> list[str]:
    out = []
    for body in run.bodies:
        data = json.loads(body)
        out.append(data[0]["service_request_id"] if channel == "open311" else data["tracking_code"])
    return out


# --- the child ------------------------------------------------------------------------------------------------


def child(database: str) -> list[Result]:
    import django

    django.setup()
    from django.db import connection
    from django.utils import timezone

    from civicgrid.areas.models import Street
    from civicgrid.cases.classifier import classify
    from civicgrid.cases.models import Case
    from civicgrid.open311.resources import find_requests, parse_request_query, service_categories
    from civicgrid.open311.services import create_api_key

    log = lambda msg: print(f"   intake: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    log(f"preparing {connection.settings_dict['NAME']}")
    prepare_database()
    classify("小区门口垃圾满了")  # trains and saves the model once, so that workers only load it
    key = create_api_key(None, "bench", street=Street.objects.order_by("id").first())[1]
    points = grid_points()
    codes = list(service_categories().values_list("code", flat=True))
    fill_window()
    results: list[Result] = []
    with Server() as server:
        port = server.port
        notes_base = {"server": server.describe, "seconds": DURATION}
        # Warm every worker and thread: model loading, locator, connections.
        load(port, 8, 2.0, json_api_request(key, points))
        load(port, 8, 1.0, open311_request(key, points, codes))
        load(port, 4, 1.0, get_request("/open311/v2/requests.json"))
        prepare_database()
        fill_window()

        # Open311 GET requests.json, the default window with 500 requests.
        path = "/open311/v2/requests.json"
        lat_get = sequential(port, 100, get_request(path))
        rate_get = load(port, 4, min(DURATION, 5.0), get_request(path))
        baseline = []
        sql_cols = "c.tracking_code, c.status, c.description, c.created_at, c.updated_at, c.lat, c.lng, k.code"
        sql = (
            f"SELECT {sql_cols} FROM cases_case c JOIN cases_category k ON k.id = c.category_id "
            "WHERE c.created_at >= %s ORDER BY c.created_at DESC LIMIT 1000"
        )
        for _ in range(30):
            t0 = time.perf_counter()
            with connection.cursor() as cur:
                cur.execute(sql, [timezone.now() - timedelta(days=90)])
                rows = cur.fetchall()
            json.dumps([[str(v) for v in row] for row in rows], ensure_ascii=False)
            baseline.append(time.perf_counter() - t0)
        in_window = len(find_requests(parse_request_query(_Params())))
        if in_window != WINDOW_REQUESTS or len(rows) != WINDOW_REQUESTS:
            raise AssertionError(f"intake: GET requests.json returned {in_window} requests, not {WINDOW_REQUESTS}")
        results.append(
            Result(
                name="Open311 GET requests.json (500) median",
                value=round(statistics.median(lat_get) * 1000, 2),
                unit="ms",
                baseline="raw SQL + json.dumps, same rows",
                baseline_value=round(statistics.median(baseline) * 1000, 3),
                notes=notes_base
                | {
                    "requests_per_s_4_clients": round(rate_get.rate(), 1),
                    "p99_ms_4_clients": round(rate_get.pct(0.99), 1),
                    "statuses": rate_get.statuses,
                },
            )
        )
        log(f"GET requests.json: median {results[-1].value} ms, {rate_get.rate():.0f}/s with 4 clients")

        floor = {c: load(port, c, 3.0, get_request("/open311/v2/discovery.json")) for c in CLIENTS}
        before = Case.objects.count()
        created: list[str] = []
        runs: dict[tuple[str, int], Run] = {}
        cpu: dict[tuple[str, int], dict[str, float]] = {}
        probe = cpu_probe(server)
        for channel, make in (
            ("json", json_api_request(key, points)),
            ("open311", open311_request(key, points, codes)),
        ):
            for clients in CLIENTS:
                cpu0 = probe()
                run = load(port, clients, DURATION, make, keep=True)
                cpu1 = probe()
                runs[(channel, clients)] = run
                cpu[(channel, clients)] = {k: (cpu1[k] - cpu0[k]) * 1000 / max(run.ok, 1) for k in cpu0}
                codes_made = created_codes(run, channel) if run.ok else []
                if len(set(codes_made)) != run.ok or run.ok != sum(run.statuses.get(s, 0) for s in (201,)):
                    raise AssertionError(f"intake: {channel} ×{clients}: {run.statuses}, {len(set(codes_made))} cases")
                created += codes_made
                log(
                    f"{channel} ×{clients}: {run.rate():.0f} cases/s, p50 {run.pct(0.5):.0f} ms, "
                    f"p99 {run.pct(0.99):.0f} ms, statuses {run.statuses}, errors {run.errors}; CPU ms per case "
                    + ", ".join(f"{k} {v:.2f}" for k, v in cpu[(channel, clients)].items())
                )
        made = Case.objects.count() - before
        if made != len(created):
            raise AssertionError(f"intake: {len(created)} answers but {made} new cases")
    ids = list(Case.objects.filter(tracking_code__in=created).values_list("id", flat=True))
    insert_rate, inserted = raw_insert_rate(ids)
    log(f"raw INSERT executemany: {insert_rate:.0f} rows/s ({inserted} rows)")
    names = {"json": "JSON API", "open311": "Open311"}
    for (channel, clients), run in runs.items():
        results.append(
            Result(
                name=f"intake {names[channel]} POST, {clients} clients",
                value=round(run.rate(), 1),
                unit="cases/s",
                baseline="raw INSERT executemany, same rows",
                baseline_value=round(insert_rate, 1),
                notes=notes_base
                | {
                    "p50_ms": round(run.pct(0.5), 1),
                    "p99_ms": round(run.pct(0.99), 1),
                    "cpu_ms_per_case": {k: round(v, 2) for k, v in cpu[(channel, clients)].items()},
                    "cores_busy": round(sum(cpu[(channel, clients)].values()) * run.ok / 1000 / run.seconds, 2),
                    "requests": sum(run.statuses.values()),
                    "errors": run.errors,
                    "aim_cases_per_s": AIM_CASES_PER_S[database],
                },
            )
        )
    for channel in ("json", "open311"):
        run = runs[(channel, 4)]
        results.append(
            Result(
                name=f"intake {names[channel]} POST p99, 4 clients",
                value=round(run.pct(0.99), 1),
                unit="ms",
                baseline="GET discovery.json p99, 4 clients",
                baseline_value=round(floor[4].pct(0.99), 2),
                notes=notes_base | {"p50_ms": round(run.pct(0.5), 1), "aim_p99_ms": AIM_P99_MS},
            )
        )
    return results


class _Params(dict[str, str]):
    """An empty query string (the spec's defaults)."""

    def getlist(self, key: str) -> list[str]:
        return []


# --- the parent (python -m bench intake) -------------------------------------------------------------------------


def child_env(ctx: Context, var: Path = VAR, pg_database: str = PG_DATABASE) -> dict[str, str]:
    """The environment of a benchmark's child process: its own SQLite var dir, or its own PostgreSQL database."""
    env = server_env(var)
    url = os.environ.get("DATABASE_URL", "")
    if ctx.database == "postgresql":
        parts = urllib.parse.urlsplit(url)
        env["DATABASE_URL"] = urllib.parse.urlunsplit(parts._replace(path="/" + pg_database))
        create_pg_database(env["DATABASE_URL"], pg_database)
    else:
        env.pop("DATABASE_URL", None)
    return env


def create_pg_database(url: str, name: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    admin = urllib.parse.urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def run(ctx: Context) -> list[Result]:
    VAR.mkdir(parents=True, exist_ok=True)
    # One intake benchmark at a time per database: a second run would delete the first one's cases under it.
    with (VAR / f"{ctx.database}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _run_child(ctx)


def _run_child(ctx: Context) -> list[Result]:
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_intake", ctx.database],
        cwd=ROOT,
        env=child_env(ctx),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    return [Result(**row) for row in rows]


if __name__ == "__main__":
    print(json.dumps([asdict(r) for r in child(sys.argv[1] if len(sys.argv) > 1 else "sqlite")], ensure_ascii=False))
