"""`python manage.py scheduler`: enqueue the periodic jobs on time; the task workers (`db_worker`) run them.

The schedule (Asia/Shanghai):
- every 60 s: `cases.tasks.check_deadlines_task` (warnings at 80 %, overdue flags, escalation);
- every hour, on the hour: `notifications.tasks.send_digests` (one e-mail per user, never one per event);
- daily at 03:00: `cases.tasks.retrain_classifier`, when the cases app has it;
- daily at 02:30: `fieldwork.tasks.purge_old_traces` (patrol routes older than CIVICGRID_TRACE_RETENTION_DAYS);
- daily at 07:00: `fieldwork.tasks.run_fire_safety_checks` (reminders before expiry, a case per expired item),
  before the working day, so the reminders are in the grid workers' inboxes when they start.

Run exactly one scheduler per deployment: it only enqueues, so a second one would enqueue every job twice. Turns
missed while it is down are not replayed: each job runs at its next turn after the start.
`--once` enqueues each job once and exits (for tests, cron or a manual kick).
"""

from __future__ import annotations

import importlib
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import FrameType
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from civicgrid.cases.calendar import TZ


def every(seconds: int) -> Callable[[datetime], datetime]:
    """Next run: the next multiple of `seconds` (since midnight) after `now`: 60 s → each minute, 3600 → each hour."""

    def following(now: datetime) -> datetime:
        local = now.astimezone(TZ)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        elapsed = (local - midnight).total_seconds()
        return midnight + timedelta(seconds=(int(elapsed // seconds) + 1) * seconds)

    return following


def daily_at(hour: int, minute: int = 0) -> Callable[[datetime], datetime]:
    def following(now: datetime) -> datetime:
        local = now.astimezone(TZ)
        run = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
        return run if run > local else run + timedelta(days=1)

    return following


@dataclass
class Job:
    path: str  # "module:task"
    when: Callable[[datetime], datetime]
    description: str

    def task(self) -> Any | None:
        """The task object, or None when its module does not define it (an optional job)."""
        module, name = self.path.split(":")
        return getattr(importlib.import_module(module), name, None)


SCHEDULE = [
    Job("civicgrid.cases.tasks:check_deadlines_task", every(60), "deadline check, every minute"),
    Job("civicgrid.notifications.tasks:send_digests", every(3600), "e-mail digests, every hour"),
    Job("civicgrid.cases.tasks:retrain_classifier", daily_at(3), "classifier retraining, daily at 03:00"),
    Job("civicgrid.fieldwork.tasks:purge_old_traces", daily_at(2, 30), "patrol route purge, daily at 02:30"),
    Job("civicgrid.fieldwork.tasks:run_fire_safety_checks", daily_at(7), "fire-safety expiry checks, daily at 07:00"),
]


class Command(BaseCommand):
    help = "Enqueue the periodic jobs (deadline check each minute, digests each hour, retraining at 03:00)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue every job once, then exit")
        parser.add_argument(
            "--job",
            action="append",
            default=[],
            metavar="NAME",
            help="only this job (a task name such as check_deadlines_task); may be repeated",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        wanted = set(options["job"])
        unknown = wanted - {job.path.split(":")[1] for job in SCHEDULE}
        if unknown:
            self.stderr.write(f"scheduler: no such job: {', '.join(sorted(unknown))}")
            raise SystemExit(2)
        jobs = []
        for job in SCHEDULE:
            if wanted and job.path.split(":")[1] not in wanted:
                continue
            task = job.task()
            if task is None:
                self.stdout.write(f"scheduler: {job.path} does not exist; skipping {job.description}.")
                continue
            jobs.append((job, task))
        if options["once"]:
            for job, task in jobs:
                self.enqueue(job, task)
            return
        self.loop(jobs)

    def enqueue(self, job: Job, task: Any) -> None:
        result = task.enqueue()
        self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} enqueued {job.path} ({result.id})")

    def loop(self, jobs: list[tuple[Job, Any]]) -> None:
        stopping = False

        def stop(signum: int, frame: FrameType | None) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        now = timezone.now()
        due = {job.path: job.when(now) for job, _task in jobs}
        for job, _task in jobs:
            self.stdout.write(f"scheduler: {job.description}; first at {due[job.path]:%Y-%m-%d %H:%M:%S}")
        while not stopping:
            now = timezone.now()
            for job, task in jobs:
                if now >= due[job.path]:
                    close_old_connections()  # a long-lived process: drop connections the database has closed
                    try:
                        self.enqueue(job, task)
                    except Exception as exc:  # the database may be restarting: try again at the next turn
                        self.stderr.write(f"scheduler: could not enqueue {job.path}: {exc}")
                    due[job.path] = job.when(now)  # the next turn after now: missed turns are not replayed
            wait = (min(due.values()) - timezone.now()).total_seconds()
            time.sleep(min(max(wait, 0.05), 1.0))  # wake at least each second, so a stop signal is quick
        self.stdout.write("scheduler: stopped.")
