"""The bench database and the demo world in it, shared by the benchmarks that need data.

Benchmarks never touch the demo database: `python -m bench` points CIVICGRID_VAR_DIR at var/bench/ (SQLite), or
DATABASE_URL names a database of its own (PostgreSQL: civicgrid_bench). `ensure_world("street")` leaves that
database holding exactly the demo street; checking costs four COUNTs, and seeding happens only when the
database holds something else.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings

from bench.common import Context

# The demo scale each bench scale runs on.
WORLDS = {"small": "street", "large": "district"}
SEED = 2026  # seed_demo's default: the bench world is the demo street itself


def world_for(ctx: Context) -> str:
    return WORLDS.get(ctx.scale, "street")


def migrate() -> None:
    call_command("migrate", verbosity=0, interactive=False)


def holds(scale: str) -> bool:
    """Whether the database holds the demo world of `scale`: its numbers of streets, communities and grids."""
    from civicgrid.areas.models import Community, Grid, Street
    from civicgrid.core.demo.street import SCALES
    from civicgrid.people.models import Resident

    sc = SCALES[scale]
    return (
        Street.objects.count() == sc.streets
        and Community.objects.count() == sc.streets * sc.communities_per_street
        and Grid.objects.count() == sc.grids
        and Resident.objects.exists()
    )


def empty() -> None:
    """Make the database what a first `migrate` leaves: every table dropped, then migrated again.

    Not `flush`: that also deletes the rows data migrations ship (care groups, case categories, checklists…),
    and the seed needs them. Refuses any database whose name does not say "bench".
    """
    name = str(connection.settings_dict["NAME"])
    if "bench" not in name:
        raise RuntimeError(f"bench: refusing to empty {name!r}, which is not a bench database")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE")
            cursor.execute("CREATE SCHEMA public")
    else:
        connection.close()
        for suffix in ("", "-wal", "-shm"):
            Path(name + suffix).unlink(missing_ok=True)
    migrate()


def seed(scale: str) -> tuple[float, str]:
    """Run `seed_demo --scale <scale>` on an empty database: (wall-clock seconds, what the command printed)."""
    out = io.StringIO()
    t0 = time.perf_counter()
    call_command("seed_demo", scale=scale, seed=SEED, stdout=out)
    return time.perf_counter() - t0, out.getvalue().strip()


def ensure_world(scale: str) -> bool:
    """Migrate, and make the database hold the demo world of `scale` ("street" or "district").

    Returns True when it had to (re)seed. A world of another scale, or anything else, is dropped first.
    """
    migrate()
    if holds(scale):
        return False
    print(f"   (bench database: seeding the {scale} world, once)", flush=True)
    empty()
    seed(scale)
    return True


@contextmanager
def production_like() -> Iterator[None]:
    """DEBUG off while measuring: with DEBUG on, Django logs every query's SQL, which is not what production pays."""
    with override_settings(DEBUG=False):
        yield


def machine() -> dict[str, Any]:
    """CPUs and load when a figure was taken: on a shared 2-core machine, other work skews every figure."""
    return {"cpus": os.cpu_count(), "load_1min": round(os.getloadavg()[0], 2)}
