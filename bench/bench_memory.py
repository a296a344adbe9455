"""Memory: peak RSS of one app server process after 10,000 requests, and of the task worker after ~500 tasks.

What is measured (issue 3: "peak RSS of one app server process with the classifier and jieba loaded, after 10,000
requests (aim ≤ 300 MB), and of the task worker"):

- **App server**: `gunicorn config.wsgi` with ONE sync worker (DEBUG off, CONN_MAX_AGE 600), sent
  `BENCH_MEMORY_REQUESTS` (10,000) requests by 4 client threads: 40 % case intake through the JSON API
  (`POST /api/v1/cases`, no category, so the classifier and jieba are loaded and used), 30 % the public report page
  (`GET /report/`) and 30 % Open311's `GET requests.json?page_size=50`. Figure: the worker's VmHWM (peak resident
  set, /proc/<pid>/status) at the end. Baseline: the same worker's VmRSS after start-up, before any request.
- **Task worker**: `manage.py db_worker` (django-tasks' database backend), sent `BENCH_MEMORY_TASKS` (500) tasks:
  deadline checks, webhook deliveries to a closed port (each fails at once and schedules a retry) and e-mail
  digests; once the queue is drained, its VmHWM. Baseline: its VmRSS after start-up, before any task.

The database is its own (var/bench/memory/, SQLite): a copy of the bench database (var/bench/civicgrid.sqlite3,
the demo street) taken with SQLite's backup API when there is one, otherwise a tiny demo world; so the thousands
of cases sent here never reach the other benchmarks' database. The classifier is copied from var/bench/models/.
On PostgreSQL (DATABASE_URL) the bench database itself is used. Linux only (/proc).

`python -m bench memory` runs it; the work happens in a child process (`python -m bench.bench_memory`) whose Django
is set up on that database.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import asdict
from pathlib import Path
from typing import Any

from bench.bench_intake import REPORTS, free_port, grid_points, server_env
from bench.common import ROOT, Context, Result

VAR = ROOT / "var" / "bench" / "memory"
BENCH_VAR = ROOT / "var" / "bench"
REQUESTS = int(os.environ.get("BENCH_MEMORY_REQUESTS", "10000"))
TASKS = int(os.environ.get("BENCH_MEMORY_TASKS", "500"))
CLIENTS = 4
AIM_MB = 300


# --- /proc ----------------------------------------------------------------------------------------------------


def status_kb(pid: int, field: str) -> int:
    """A field of /proc/<pid>/status in kB (VmRSS: resident now; VmHWM: the peak resident set so far)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def mb(kb: int) -> float:
    return round(kb / 1024, 1)


def children(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # The command name (in parentheses) may hold spaces: the parent pid is the 2nd field after it.
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry.name))
    return out


def settled_rss(pid: int, seconds: float = 1.0, limit: float = 30) -> int:
    """VmRSS once it has stopped changing for `seconds` (start-up done), in kB."""
    deadline = time.monotonic() + limit
    last = status_kb(pid, "VmRSS")
    stable_since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        now = status_kb(pid, "VmRSS")
        if now != last:
            last, stable_since = now, time.monotonic()
        elif time.monotonic() - stable_since >= seconds:
            break
    return last


# --- the database (child) ---------------------------------------------------------------------------------------


def ensure_world() -> None:
    from django.core.management import call_command

    from civicgrid.areas.models import Street

    call_command("migrate", verbosity=0)
    if not Street.objects.exists():
        print("   (memory database: building a tiny demo world)", file=sys.stderr, flush=True)
        from civicgrid.areas.locator import invalidate
        from civicgrid.core.demo.street import DemoBuilder
        from conftest import reload_shipped_data

        reload_shipped_data()
        DemoBuilder(seed=1, scale="tiny").build()
        invalidate()


def api_key() -> str:
    from civicgrid.areas.models import Street
    from civicgrid.open311.services import create_api_key

    _key, plain = create_api_key(None, f"bench memory {uuid.uuid4().hex[:6]}", street=Street.objects.order_by("id")[0])
    return plain


# --- the app server ---------------------------------------------------------------------------------------------


def child_env() -> dict[str, str]:
    env = server_env()
    env["CIVICGRID_VAR_DIR"] = str(VAR)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        env.pop("DATABASE_URL", None)
    return env


def send(port: int, method: str, path: str, body: bytes | None, headers: dict[str, str]) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def app_server() -> list[Result]:
    port = free_port()
    cmd = [str(ROOT / ".venv" / "bin" / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", "1", "--worker-class", "sync", "--timeout", "120", "--log-level", "warning"]
    key = api_key()
    points = grid_points()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=sys.stderr)
    try:
        deadline = time.monotonic() + 60
        workers: list[int] = []
        while not workers and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = children(proc.pid)
        if not workers:
            raise AssertionError("memory: gunicorn started no worker within 60 s")
        worker = workers[0]
        baseline = settled_rss(worker)  # the app is imported (wsgi calls django.setup()); no request served yet

        statuses: dict[int, int] = {}
        lock = threading.Lock()
        counter = iter(range(REQUESTS))
        rss_after_warmup = 0

        def client(n: int) -> None:
            nonlocal rss_after_warmup
            rng = random.Random(n)
            for i in counter:  # the iterator is shared: each request number is taken by one thread
                kind = i % 10
                if kind < 4:
                    lat, lng = rng.choice(points)
                    payload = {
                        "description": rng.choice(REPORTS),
                        "lat": lat + rng.uniform(-0.0005, 0.0005),
                        "lng": lng + rng.uniform(-0.0005, 0.0005),
                    }
                    headers = {
                        "Content-Type": "application/json",
                        "X-API-Key": key,
                        "Idempotency-Key": uuid.uuid4().hex,
                    }
                    status = send(port, "POST", "/api/v1/cases", json.dumps(payload).encode(), headers)
                elif kind < 7:
                    status = send(port, "GET", "/report/", None, {})
                else:
                    status = send(port, "GET", "/open311/v2/requests.json?page_size=50", None, {})
                with lock:
                    statuses[status] = statuses.get(status, 0) + 1
                    if i == 200:
                        rss_after_warmup = status_kb(worker, "VmRSS")

        t0 = time.monotonic()
        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.monotonic() - t0
        if children(proc.pid) != [worker]:
            raise AssertionError("memory: the gunicorn worker was replaced during the run; the figure would be wrong")
        peak, end = status_kb(worker, "VmHWM"), status_kb(worker, "VmRSS")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ok = sum(v for k, v in statuses.items() if 200 <= k < 300)
    if ok < REQUESTS * 0.99:
        raise AssertionError(f"memory: too many failed requests: {statuses}")
    return [
        Result(
            name=f"memory: app worker peak RSS, {REQUESTS:,} requests",
            value=mb(peak),
            unit="MB",
            baseline="same worker's RSS after start-up",
            baseline_value=mb(baseline),
            notes={
                "aim_mb": AIM_MB,
                "rss_after_200_requests_mb": mb(rss_after_warmup),
                "rss_at_end_mb": mb(end),
                "statuses": {str(k): v for k, v in sorted(statuses.items())},
                "seconds": round(seconds, 1),
                "server": "gunicorn sync, 1 worker; 40% POST /api/v1/cases, 30% GET /report/, 30% Open311 GET",
            },
        )
    ]


# --- the task worker --------------------------------------------------------------------------------------------


def enqueue_tasks(n: int) -> dict[str, int]:
    """Deadline checks, webhook deliveries to a closed port, digests: about 6 : 3 : 1."""
    from civicgrid.cases.tasks import check_deadlines_task
    from civicgrid.notifications.models import WebhookDelivery, WebhookEndpoint
    from civicgrid.notifications.tasks import deliver_webhook, send_digests

    endpoint = WebhookEndpoint.objects.create(
        name="bench memory (closed port)", url=f"http://127.0.0.1:{free_port()}/hook", secret="x" * 64, active=False
    )
    counts = {"check_deadlines_task": 0, "deliver_webhook": 0, "send_digests": 0}
    for i in range(n):
        kind = i % 10
        if kind < 6:
            check_deadlines_task.enqueue()
            counts["check_deadlines_task"] += 1
        elif kind < 9:
            d = WebhookDelivery.objects.create(
                endpoint=endpoint, event="case.created", payload={"n": i, "pad": "x" * 500}
            )
            deliver_webhook.enqueue(d.pk)
            counts["deliver_webhook"] += 1
        else:
            send_digests.enqueue()
            counts["send_digests"] += 1
    return counts


def cleanup_tasks() -> None:
    from django_tasks_db.models import DBTaskResult

    from civicgrid.notifications.models import WebhookEndpoint

    WebhookEndpoint.objects.filter(name="bench memory (closed port)").delete()
    DBTaskResult.objects.filter(status="READY").delete()  # the webhook retries, scheduled minutes ahead


def task_worker() -> list[Result]:
    from django_tasks_db.models import DBTaskResult

    cleanup_tasks()
    cmd = [sys.executable, "manage.py", "db_worker", "--no-startup-delay", "--interval", "0.2", "--verbosity", "0"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=child_env(), stdout=subprocess.DEVNULL, stderr=sys.stderr)
    try:
        baseline = settled_rss(proc.pid, seconds=2)
        t0 = time.monotonic()
        counts = enqueue_tasks(TASKS)
        deadline = time.monotonic() + 600
        while DBTaskResult.objects.ready().exists() or DBTaskResult.objects.running().exists():
            if time.monotonic() > deadline or proc.poll() is not None:
                raise AssertionError("memory: the task worker did not drain its queue")
            time.sleep(0.5)
        seconds = time.monotonic() - t0
        peak, end = status_kb(proc.pid, "VmHWM"), status_kb(proc.pid, "VmRSS")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        cleanup_tasks()
    return [
        Result(
            name=f"memory: task worker peak RSS, {TASKS} tasks",
            value=mb(peak),
            unit="MB",
            baseline="same worker's RSS after start-up",
            baseline_value=mb(baseline),
            notes={"rss_at_end_mb": mb(end), "tasks": counts, "seconds": round(seconds, 1)},
        )
    ]


def child() -> list[Result]:
    ensure_world()
    return app_server() + task_worker()


# --- the parent (python -m bench memory) -------------------------------------------------------------------------


def prepare_copy() -> None:
    """Give the child its own database and classifier, copied from the bench's the first time."""
    VAR.mkdir(parents=True, exist_ok=True)
    target = VAR / "civicgrid.sqlite3"
    source = BENCH_VAR / "civicgrid.sqlite3"
    if not target.exists() and source.exists() and not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)  # consistent even while another benchmark writes (WAL)
    if not (VAR / "models" / "classifier.joblib").exists() and (BENCH_VAR / "models" / "classifier.joblib").exists():
        (VAR / "models").mkdir(exist_ok=True)
        shutil.copy2(BENCH_VAR / "models" / "classifier.joblib", VAR / "models" / "classifier.joblib")


def run(ctx: Context) -> list[Result]:
    prepare_copy()
    proc = subprocess.run(
        [sys.executable, "-m", "bench.bench_memory"],
        cwd=ROOT,
        env=child_env(),
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    rows: list[dict[str, Any]] = json.loads(proc.stdout.strip().splitlines()[-1])
    return [Result(**row) for row in rows]


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps([asdict(r) for r in child()], ensure_ascii=False))
