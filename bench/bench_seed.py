"""seed_demo into an empty database, against a raw executemany INSERT of the same resident rows.

Small scale seeds the demo street (98 grids, ~28k residents, and by default a year of cases), large scale the district
(1,700 grids, ~1M residents, no cases), each into a freshly migrated database, exactly as `seed_demo` does it.
The seed writes much more than residents (buildings, houses, households, accounts, care tags, party members…); the
baseline is the floor for its biggest table alone: every resident row the seed made, with the same column values,
inserted again with new ids by `cursor.executemany` inside a transaction that is rolled back.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection, transaction

from bench.common import Context, Result
from bench.db import empty, machine, production_like, seed, world_for

CHUNK = 50_000  # rows read and re-inserted at a time, so a million rows never sit in memory at once


def reinsert_residents() -> tuple[int, float]:
    """Re-insert every resident row with executemany, rolled back; (rows, seconds spent in executemany)."""
    from civicgrid.people.models import Resident

    fields = [f for f in Resident._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(str(f.column)) for f in fields)
    sql = f"INSERT INTO {qn(Resident._meta.db_table)} ({columns}) VALUES ({', '.join(['%s'] * len(fields))})"
    last_id = Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rows = 0
    spent = 0.0
    with transaction.atomic():
        with connection.cursor() as cursor:
            start = 0
            while start < last_id:
                chunk = [
                    tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
                    for row in Resident.objects.filter(id__gt=start, id__lte=min(start + CHUNK, last_id))
                    .order_by("id")
                    .values_list(*(f.attname for f in fields))
                ]
                t0 = time.perf_counter()
                cursor.executemany(sql, chunk)
                spent += time.perf_counter() - t0
                rows += len(chunk)
                start += CHUNK
        transaction.set_rollback(True)
    return rows, spent


def counts() -> dict[str, int]:
    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Grid
    from civicgrid.people.models import Building, House, Household, Resident

    return {
        "grids": Grid.objects.count(),
        "buildings": Building.objects.count(),
        "houses": House.objects.count(),
        "households": Household.objects.count(),
        "residents": Resident.objects.count(),
        "accounts": User.objects.count(),
    }


def run(ctx: Context) -> list[Result]:
    scale = world_for(ctx)
    empty()
    with production_like():
        seed_s, printed = seed(scale)
        made = counts()
        rows, insert_s = reinsert_residents()
    if rows != made["residents"]:
        raise AssertionError(f"seed: re-inserted {rows} residents, the seed made {made['residents']}")
    notes: dict[str, Any] = {
        "demo_scale": scale,
        **made,
        "seed_residents_per_s": round(made["residents"] / seed_s, 1),
        "baseline_residents_per_s": round(rows / insert_s, 1),
        **machine(),
        "seed_demo_said": printed,
    }
    return [
        Result(
            f"seed_demo --scale {scale}",
            round(seed_s, 3),
            "s",
            "executemany INSERT of the residents",
            round(insert_s, 3),
            notes=notes,
        )
    ]
