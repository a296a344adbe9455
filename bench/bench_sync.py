"""The offline sync under a burst, over HTTP, and the size of the offline bundle a phone caches.

- **Sync burst**: many phones at once (8 and 32 closed-loop clients, each logged in as a different steward of a
  different grid, each on its own keep-alive connection) POST batches of 20 entries to `/field/sync` as field.js
  does (multipart: `entries` JSON plus the CSRF header): a patrol start, six findings (one in five not solved on
  the spot, so it raises a case through the intake), the patrol's finish, and twelve household visits. Every entry
  goes the whole way: permission, validation, the record, its sync receipt, the audit trail's hash chain, a case
  where due, each entry committed in its own transaction. Figures: entries/s accepted (results "created"; every
  one checked) and p50/p99 per batch. Baseline: raw `INSERT`s of the same rows (each entry's record — patrol,
  finding, visit — and its receipt, copied, `executemany` in one transaction), entries/s.
- **Offline bundle**: gzip (level 6) of our own files the service worker caches — field.js, field-sw.js (as served,
  with its configuration), app.css, field.css — and the five field pages as rendered for a demo steward (their
  embedded buildings, households and checklist included). Baseline: the same bytes uncompressed. Vendor files the
  base template loads (htmx) are cached too, and reported in the notes, not counted: the aim is about our code.

The server is gunicorn (bench_intake's helper: gthread, 2 workers × 4 threads, DEBUG off, persistent connections)
on a database of its own: SQLite in var/bench/sync/, or, when DATABASE_URL names PostgreSQL, `civicgrid_sync` on
that server. It holds the demo street; the records of earlier runs are deleted first.

`python -m bench sync` runs it; the work happens in a child process (`python -m bench.bench_sync`).
"""

from __future__ import annotations

import fcntl
import gzip
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import bench_intake
from bench.common import Context, Result

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench" / "sync"
PG_DATABASE = "civicgrid_sync"
DURATION = float(os.environ.get("BENCH_SYNC_SECONDS", "10"))
CLIENTS = (8, 32)
BATCH = 20
AIM_ENTRIES_PER_S = {"postgresql": 200, "sqlite": 100}
AIM_BUNDLE_KB = 300
FINDING_ITEMS = ["full_bin", "ebike_gate", "ebike_charging", "clutter", "fire_exit", "broken_facility"]
BOUNDARY = "----civicgrid-bench-sync"


@dataclass
class Phone:
    """One client: a steward, their session, and the households of their grid."""

    username: str
    session: str
    csrf: str
    households: list[int]


@dataclass
class Burst:
    clients: int
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    entries: int = 0
    created: int = 0
    other: dict[str, int] = field(default_factory=dict)
    http_errors: dict[int, int] = field(default_factory=dict)
    client_ids: list[str] = field(default_factory=list)

    def pct(self, q: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000 if ordered else 0.0


def batch(rng: random.Random, phone: Phone, now: str) -> list[dict[str, Any]]:
    """20 entries as a phone queues them: a patrol with six findings, its finish, twelve visits."""
    patrol = str(uuid.uuid4())
    entries: list[dict[str, Any]] = [{"client_id": patrol, "kind": "patrol_start", "at": now, "data": {}}]
    for _ in range(6):
        solved = rng.random() < 0.8
        entries.append(
            {
                "client_id": str(uuid.uuid4()),
                "kind": "finding",
                "at": now,
                "data": {
                    "patrol": patrol,
                    "item": rng.choice(FINDING_ITEMS),
                    "note": "已现场处理" if solved else "需要物业处理",
                    "solved_on_spot": solved,
                },
            }
        )
    entries.append({"client_id": str(uuid.uuid4()), "kind": "patrol_finish", "at": now, "data": {"patrol": patrol}})
    for _ in range(BATCH - len(entries)):
        entries.append(
            {
                "client_id": str(uuid.uuid4()),
                "kind": "visit",
                "at": now,
                "data": {"household_id": rng.choice(phone.households), "found": "老人身体尚可", "purpose": "care"},
            }
        )
    return entries


def multipart(fields: dict[str, str]) -> bytes:
    out = []
    for name, value in fields.items():
        out.append(f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n')
    out.append(f"--{BOUNDARY}--\r\n")
    return "".join(out).encode()


def burst(port: int, phones: list[Phone], seconds: float) -> Burst:
    """Each phone sends batch after batch on its own keep-alive connection for `seconds`."""
    result = Burst(clients=len(phones))
    lock = threading.Lock()
    start = threading.Barrier(len(phones) + 1)
    deadline = [0.0]

    from django.utils import timezone

    def client(n: int, phone: Phone) -> None:
        rng = random.Random(n)
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        mine = Burst(clients=1)
        start.wait()
        while time.perf_counter() < deadline[0]:
            entries = batch(rng, phone, timezone.now().isoformat())
            body = multipart({"entries": json.dumps(entries), "user": ""})
            headers = {
                "Content-Type": f"multipart/form-data; boundary={BOUNDARY}",
                "Cookie": f"sessionid={phone.session}; csrftoken={phone.csrf}",
                "X-CSRFToken": phone.csrf,
                "Accept": "application/json",
            }
            t0 = time.perf_counter()
            try:
                conn.request("POST", "/field/sync", body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (OSError, http.client.HTTPException):
                mine.http_errors[0] = mine.http_errors.get(0, 0) + 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
                continue
            mine.latencies.append(time.perf_counter() - t0)
            if response.status != 200:
                mine.http_errors[response.status] = mine.http_errors.get(response.status, 0) + 1
                continue
            for r in json.loads(data)["results"]:
                mine.entries += 1
                if r["status"] == "created":
                    mine.created += 1
                    mine.client_ids.append(r["client_id"])
                else:
                    key = f"{r['status']}: {r.get('message', '')}"
                    mine.other[key] = mine.other.get(key, 0) + 1
        conn.close()
        with lock:
            result.latencies += mine.latencies
            result.entries += mine.entries
            result.created += mine.created
            result.client_ids += mine.client_ids
            for k, v in mine.other.items():
                result.other[k] = result.other.get(k, 0) + v
            for s, v in mine.http_errors.items():
                result.http_errors[s] = result.http_errors.get(s, 0) + v

    threads = [threading.Thread(target=client, args=(n, p)) for n, p in enumerate(phones)]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + seconds
    t0 = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - t0
    return result


# --- CPU accounting: what an entry costs the server and the database, whatever else runs on the machine -----------


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / tick


def _server_pids(master: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{master}/task").iterdir():
        children += [int(x) for x in (task / "children").read_text().split()]
    return [master, *children]


def _database_pids() -> list[int]:
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cur:
        cur.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        return [int(row[0]) for row in cur.fetchall()]


# --- the database ---------------------------------------------------------------------------------------------


def prepare_database() -> None:
    """Migrate, hold the demo street, and delete what earlier runs synced (their receipts and records)."""
    from django.apps import apps
    from django.db import transaction

    from civicgrid.cases.models import Category
    from civicgrid.fieldwork.models import SyncReceipt
    from civicgrid.patrols.models import ChecklistItem, Finding, Patrol
    from civicgrid.visits.models import Visit

    ensure_street()
    if not Category.objects.exists():
        __import__("importlib").import_module("civicgrid.cases.migrations.0002_default_data").load(apps, None)
    if not ChecklistItem.objects.exists():
        __import__("importlib").import_module("civicgrid.patrols.migrations.0002_default_checklist").load(apps, None)
    with transaction.atomic():
        Finding.objects.filter(client_id__isnull=False).delete()
        Patrol.objects.filter(client_id__isnull=False).delete()
        Visit.objects.filter(client_id__isnull=False).delete()
        SyncReceipt.objects.all().delete()


def ensure_street() -> None:
    """Like bench_intake.ensure_street, for this benchmark's own database (`civicgrid_sync`, var/bench/sync/)."""
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
            raise RuntimeError(f"sync: refusing to empty {name!r}, which is not the sync benchmark's database")
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("DROP SCHEMA public CASCADE")
                cur.execute("CREATE SCHEMA public")
        else:
            connection.close()
            for suffix in ("", "-wal", "-shm"):
                Path(name + suffix).unlink(missing_ok=True)
        migrate()
    print("   (sync database: seeding the demo street, once)", file=sys.stderr, flush=True)
    call_command("seed_demo", scale="street", seed=SEED, stdout=sys.stderr)


def phones(n: int) -> list[Phone]:
    """`n` stewards of `n` different grids, each with a session (as after logging in) and a CSRF cookie."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from civicgrid.accounts.choices import Role
    from civicgrid.accounts.models import User
    from civicgrid.core.middleware import KEY as LOGIN_AT
    from civicgrid.people.models import Household

    out: list[Phone] = []
    seen: set[int] = set()
    for user in User.objects.filter(role=Role.STEWARD, is_active=True).order_by("username"):
        if user.grid_id in seen or user.grid_id is None:
            continue
        seen.add(user.grid_id)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "civicgrid.accounts.backends.UsernameOrPhoneBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session[LOGIN_AT] = time.time()
        session.create()
        households = list(Household.objects.filter(grid_id=user.grid_id).values_list("id", flat=True))
        out.append(Phone(user.username, str(session.session_key), secrets.token_hex(16), households))
        if len(out) == n:
            return out
    raise AssertionError(f"sync: only {len(out)} stewards of different grids, {n} needed")


def raw_insert_rate(client_ids: list[str]) -> tuple[float, int]:
    """Copies of the records these entries made (patrol, finding or visit) and of their receipts, inserted with
    one executemany per table in one transaction: (entries/s, entries)."""
    from django.db import connection, transaction

    from civicgrid.fieldwork.models import SyncReceipt
    from civicgrid.patrols.models import Finding, Patrol
    from civicgrid.visits.models import Visit

    receipts = list(SyncReceipt.objects.filter(client_id__in=client_ids))
    by_kind: dict[str, list[int]] = {}
    for r in receipts:
        by_kind.setdefault(r.kind, []).append(r.object_id)
    tables: list[tuple[Any, list[Any]]] = [
        (Patrol, list(Patrol.objects.filter(client_id__in=client_ids))),  # finishes are updates: no row of their own
        (Finding, list(Finding.objects.filter(pk__in=by_kind.get("finding", [])))),
        (Visit, list(Visit.objects.filter(pk__in=by_kind.get("visit", [])))),
        (SyncReceipt, receipts),
    ]
    statements = []
    for model, objs in tables:
        fields = [f for f in model._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({columns}) VALUES ({marks})"
        rows = []
        for obj in objs:
            values = []
            for f in fields:
                value = getattr(obj, f.attname)
                if f.name == "client_id":
                    value = uuid.uuid4()  # unique: a copy needs its own
                values.append(f.get_db_prep_save(value, connection))
            rows.append(values)
        statements.append((sql, rows))
    t0 = time.perf_counter()
    with transaction.atomic():
        with connection.cursor() as cur:
            for sql, rows in statements:
                cur.executemany(sql, rows)
        seconds = time.perf_counter() - t0
        transaction.set_rollback(True)  # measured; the copies are not kept
    return len(receipts) / seconds, len(receipts)


# --- the offline bundle ---------------------------------------------------------------------------------------


def bundle() -> Result:
    from django.contrib.staticfiles import finders
    from django.test import Client
    from django.test.utils import override_settings
    from django.urls import reverse

    from civicgrid.accounts.models import User
    from civicgrid.fieldwork.views import OFFLINE_PAGES

    def read(path: str) -> bytes:
        found = finders.find(path)
        return Path(str(found)).read_bytes()

    with override_settings(ALLOWED_HOSTS=["testserver"]):
        client = Client()
        client.force_login(
            User.objects.get(username="wanjia01_steward1"), backend="civicgrid.accounts.backends.UsernameOrPhoneBackend"
        )
        parts = {
            "field.js": read("js/field.js"),
            "field-sw.js (served)": client.get(reverse("field:sw")).content,
            "app.css": read("css/app.css"),
            "field.css": read("css/field.css"),
        }
        for name in OFFLINE_PAGES:
            response = client.get(reverse(f"field:{name}"))
            if response.status_code != 200:
                raise AssertionError(f"sync: /field/ {name} answered {response.status_code}")
            parts[f"page {name}"] = response.content
    sizes = {k: (len(v), len(gzip.compress(v, 6))) for k, v in parts.items()}
    raw = sum(s for s, _ in sizes.values())
    packed = sum(g for _, g in sizes.values())
    htmx = read("vendor/htmx/htmx.min.js")
    return Result(
        name="offline bundle (our code, styles, pages) gzip",
        value=round(packed / 1024, 1),
        unit="KB",
        baseline="the same bytes uncompressed",
        baseline_value=round(raw / 1024, 1),
        notes={
            "aim_kb": AIM_BUNDLE_KB,
            "files_kb_raw_gzip": {k: [round(s / 1024, 1), round(g / 1024, 1)] for k, (s, g) in sizes.items()},
            "vendor_htmx_kb_gzip": round(len(gzip.compress(htmx, 6)) / 1024, 1),
            "steward": "wanjia01_steward1",
        },
    )


# --- the child ------------------------------------------------------------------------------------------------


def child(database: str) -> list[Result]:
    import django

    django.setup()
    from django.db import connection

    from civicgrid.fieldwork.models import SyncReceipt
    from civicgrid.patrols.models import Finding, Patrol
    from civicgrid.visits.models import Visit

    log = lambda msg: print(f"   sync: {msg}", file=sys.stderr, flush=True)  # noqa: E731
    log(f"preparing {connection.settings_dict['NAME']}")
    prepare_database()
    results = [bundle()]
    log(f"offline bundle: {results[0].value} KB gzip ({results[0].baseline_value} KB raw)")
    all_phones = phones(max(CLIENTS))
    runs: dict[int, Burst] = {}
    cpu: dict[int, float] = {}
    with bench_intake.Server(var=VAR) as server:
        port = server.port
        notes_base = {"server": server.describe, "seconds": DURATION, "batch": BATCH}
        burst(port, all_phones[:8], 2.0)  # warm every worker and thread: imports, connections
        prepare_database()
        assert server.proc is not None
        for clients in CLIENTS:
            before = SyncReceipt.objects.count()
            pids = _server_pids(server.proc.pid) + _database_pids()
            cpu0 = _cpu_seconds(pids)
            run = burst(port, all_phones[:clients], DURATION)
            pids += [p for p in _database_pids() if p not in pids]
            cpu[clients] = _cpu_seconds(pids) - cpu0
            runs[clients] = run
            made = SyncReceipt.objects.count() - before
            if run.other or run.http_errors or made != run.created or len(set(run.client_ids)) != run.created:
                raise AssertionError(
                    f"sync ×{clients}: {run.created} created, {made} receipts, {run.other}, HTTP {run.http_errors}"
                )
            log(
                f"×{clients}: {run.created / run.seconds:.0f} entries/s, {len(run.latencies)} batches, "
                f"p50 {run.pct(0.5):.0f} ms, p99 {run.pct(0.99):.0f} ms, "
                f"server+database CPU {cpu[clients] * 1000 / max(run.created, 1):.1f} ms per entry, "
                f"load average {os.getloadavg()[0]:.1f}"
            )
    ids = [cid for run in runs.values() for cid in run.client_ids]
    counts = {
        "patrols": Patrol.objects.filter(client_id__in=ids).count(),
        "findings": Finding.objects.filter(client_id__in=ids).count(),
        "visits": Visit.objects.filter(client_id__in=ids).count(),
    }
    insert_rate, inserted = raw_insert_rate(ids)
    log(f"raw INSERT executemany: {insert_rate:.0f} entries/s ({inserted} entries); records {counts}")
    for clients, run in runs.items():
        results.append(
            Result(
                name=f"sync burst, {clients} phones × batches of {BATCH}",
                value=round(run.created / run.seconds, 1),
                unit="entries/s",
                baseline="raw INSERT executemany, same rows",
                baseline_value=round(insert_rate, 1),
                notes=notes_base
                | {
                    "batches": len(run.latencies),
                    "p50_batch_ms": round(run.pct(0.5), 1),
                    "p99_batch_ms": round(run.pct(0.99), 1),
                    "median_batch_ms": round(statistics.median(run.latencies) * 1000, 1) if run.latencies else 0,
                    "aim_entries_per_s": AIM_ENTRIES_PER_S[database],
                    # CPU the server and the database spent per entry; on an otherwise idle machine its cores
                    # bound the rate at cores / cpu-per-entry (other work on the machine only slows the clock).
                    "cpu_ms_per_entry": round(cpu[clients] * 1000 / max(run.created, 1), 2),
                    "cpu_bound_entries_per_s": round((os.cpu_count() or 1) * run.created / max(cpu[clients], 1e-9), 1),
                    "load_average_1m_after": round(os.getloadavg()[0], 2),
                    "records": counts,
                },
            )
        )
    return results


# --- the parent (python -m bench sync) ---------------------------------------------------------------------------


def run(ctx: Context) -> list[Result]:
    VAR.mkdir(parents=True, exist_ok=True)
    with (VAR / f"{ctx.database}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(
            [sys.executable, "-m", "bench.bench_sync", ctx.database],
            cwd=ROOT,
            env=bench_intake.child_env(ctx, VAR, PG_DATABASE),
            stdout=subprocess.PIPE,
            text=True,
            check=True,
        )
    rows = json.loads(proc.stdout.strip().splitlines()[-1])
    return [Result(**row) for row in rows]


if __name__ == "__main__":
    print(json.dumps([asdict(r) for r in child(sys.argv[1] if len(sys.argv) > 1 else "sqlite")], ensure_ascii=False))
