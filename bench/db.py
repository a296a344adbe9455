"""The bench database and the demo world in it, shared by the benchmarks that need data.

Benchmarks never touch the demo database: `python -m bench` points CIVICGRID_VAR_DIR at var/bench/ (SQLite), or
DATABASE_URL names a database of its own (PostgreSQL: civicgrid_bench). `ensure_world("street")` leaves that
database holding exactly the demo street; checking costs three COUNTs, seeding happens only when it holds
something else.
"""

from __future__ import annotations

import io
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.apps import apps
from django.core.management import call_command
from django.db import transaction
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
    """Delete every row, then put back what migrations ship (the care groups), as a fresh `migrate` would."""
    from civicgrid.people.models import CareTag

    call_command("flush", interactive=False, verbosity=0)
    fixture = Path(apps.get_app_config("people").path) / "fixtures" / "care_tags.json"
    with transaction.atomic():
        for row in json.loads(fixture.read_text(encoding="utf-8")):
            CareTag.objects.update_or_create(code=row["code"], defaults=row)


def seed(scale: str) -> float:
    """Run `seed_demo --scale <scale>` on an empty database; wall-clock seconds."""
    out = io.StringIO()
    t0 = time.perf_counter()
    call_command("seed_demo", scale=scale, seed=SEED, stdout=out)
    return time.perf_counter() - t0


def ensure_world(scale: str) -> bool:
    """Migrate, and make the database hold the demo world of `scale` ("street" or "district").

    Returns True when it had to (re)seed. A world of another scale, or anything else, is flushed first.
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
