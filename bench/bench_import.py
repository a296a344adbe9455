"""Population-register import: 50,000 residents from one xlsx file, as the street admin uploads it.

(a) `import residents xlsx 50k`: `importers.import_registry` end to end (open the workbook, parse and check every
row, look up grids, households and ID-number digests, encrypt, bulk_create, audit) in rows per second, against
the floor of the database alone: the same 50,000 rows' final column values (read back after the import) inserted
by `cursor.executemany` and committed, in the same run. (b) The same rows as a UTF-8 CSV file, against the same
floor. (c) A file with a mistake in every row (validation only, nothing written: 50,000 problems), against reading
the same workbook with openpyxl and doing nothing with the cells.

The data is made here: the bench database is migrated, seeded with the tiny demo street if it holds no street,
and every row this benchmark adds is deleted again, so other benchmarks find the database as it was.
"""

from __future__ import annotations

import csv
import io
import random
import time
from datetime import date, timedelta
from typing import Any

from django.core.management import call_command
from django.db import connection, transaction
from django.test.utils import override_settings

from bench.common import Context, Result

ROWS = 50_000
REGION = "110101"  # 北京市东城区: no demo resident is born there, so the numbers cannot collide with the world's
FIRST_BIRTH = date(1940, 1, 1)
PER_DAY = 10  # ten people born on each day: 5,000 days from 1940 on


def ensure_data() -> Any:
    """Migrate; seed the tiny demo street when the database holds no street. Returns the street admin."""
    from civicgrid.accounts.choices import Role
    from civicgrid.accounts.models import User
    from civicgrid.areas.models import Street
    from civicgrid.core.demo.street import DemoBuilder

    call_command("migrate", verbosity=0, interactive=False)
    if not Street.objects.exists():
        print("   (bench database is empty: seeding the tiny demo street)", flush=True)
        DemoBuilder(seed=1, scale="tiny").build()
    admin = User.objects.filter(role=Role.STREET_ADMIN, street__isnull=False, is_active=True).order_by("id").first()
    if admin is None:
        raise AssertionError("bench_import: the bench database has a street but no street admin")
    return admin


def id_numbers() -> list[str]:
    from civicgrid.core.validators import make_id_number

    return [make_id_number(REGION, FIRST_BIRTH + timedelta(days=i // PER_DAY), 100 + i % PER_DAY) for i in range(ROWS)]


def records(admin: Any, numbers: list[str]) -> list[list[Any]]:
    """Residents spread over the admin's grids; one in five joins an existing household of that grid."""
    from civicgrid.areas.selectors import grids_for
    from civicgrid.core.validators import birth_date_from_id, gender_from_id
    from civicgrid.people.importers import RESIDENTS
    from civicgrid.people.models import CareTag, Household

    rng = random.Random(2026)
    grids = list(grids_for(admin).order_by("code").values_list("id", "code"))
    households: dict[int, list[str]] = {}
    for grid_id, code in Household.objects.filter(grid_id__in=[g for g, _c in grids]).values_list("grid_id", "code"):
        households.setdefault(grid_id, []).append(code)
    tags = list(CareTag.objects.values_list("name_zh", flat=True))
    rows: list[list[Any]] = [RESIDENTS.headers]
    for i, number in enumerate(numbers):
        grid_id, grid_code = grids[i % len(grids)]
        household = rng.choice(households[grid_id]) if households.get(grid_id) and rng.random() < 0.2 else ""
        spelled_out = rng.random() < 0.5  # half give gender and birth date, half leave them to the ID number
        born = birth_date_from_id(number)
        rows.append(
            [
                household,
                grid_code,
                "测试" + "甲乙丙丁戊己庚辛壬癸"[i % 10] + "子丑寅卯辰巳午未申酉戌亥"[i // 10 % 12],
                number,
                f"13{rng.randrange(10**9):09d}" if rng.random() < 0.8 else "",
                ("男" if gender_from_id(number) == "male" else "女") if spelled_out else "",
                born.isoformat() if spelled_out and born else "",
                rng.choice(["户籍", "户籍", "流动"]),
                rng.choice(["子女", "配偶", "其他"]) if household else "",
                rng.choice(tags) if rng.random() < 0.05 else "",
                "是" if rng.random() < 0.07 else "否",
            ]
        )
    return rows


def as_xlsx(rows: list[list[Any]]) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("居民")
    for row in rows:
        ws.append([v if v != "" else None for v in row])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def as_csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def delete_residents_after(last_id: int) -> None:
    from civicgrid.people.models import Resident

    with transaction.atomic():
        Resident.objects.filter(id__gt=last_id).delete()


def delete_leftovers(numbers: list[str]) -> None:
    """Residents a crashed earlier run of this benchmark left behind would make every row a duplicate."""
    from civicgrid.core import crypto
    from civicgrid.people.importers import chunked
    from civicgrid.people.models import Resident

    digests = [crypto.digest(n) for n in numbers]
    with transaction.atomic():
        for chunk in chunked(digests):
            Resident.objects.filter(id_number_digest__in=chunk).delete()


def last_resident_id() -> int:
    from civicgrid.people.models import Resident

    return Resident.objects.order_by("-id").values_list("id", flat=True).first() or 0


def timed_import(admin: Any, name: str, data: bytes) -> tuple[float, float, Any]:
    """(wall-clock seconds, CPU seconds of this process, result): on a busy machine the CPU time is the steadier."""
    from civicgrid.people.importers import import_registry

    t0, c0 = time.perf_counter(), time.process_time()
    result = import_registry(admin, "residents", name, data)
    return time.perf_counter() - t0, time.process_time() - c0, result


def raw_insert(last_id: int) -> float:
    """executemany + commit of the final column values of the rows imported after `last_id`; the copies are deleted."""
    from civicgrid.people.models import Resident

    fields = [f for f in Resident._meta.concrete_fields if not f.primary_key]
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(Resident._meta.db_table)} ({', '.join(qn(str(f.column)) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
    )
    values = [
        tuple(f.get_db_prep_save(v, connection) for f, v in zip(fields, row, strict=True))
        for row in Resident.objects.filter(id__gt=last_id).order_by("id").values_list(*(f.attname for f in fields))
    ]
    if len(values) != ROWS:
        raise AssertionError(f"bench_import: {len(values)} rows imported, expected {ROWS}")
    copies_after = last_resident_id()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, values)
    spent = time.perf_counter() - t0
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {qn(Resident._meta.db_table)} WHERE id > %s", [copies_after])
    return spent


def read_only(data: bytes) -> float:
    """openpyxl reading every cell of the workbook, and nothing else."""
    import openpyxl

    t0 = time.perf_counter()
    wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    n = sum(1 for _row in wb.worksheets[0].iter_rows(values_only=True))
    wb.close()
    if n != ROWS + 1:
        raise AssertionError(f"bench_import: read {n} rows, expected {ROWS + 1}")
    return time.perf_counter() - t0


def run(ctx: Context) -> list[Result]:
    admin = ensure_data()
    numbers = id_numbers()
    delete_leftovers(numbers)
    rows = records(admin, numbers)
    xlsx_data = as_xlsx(rows)
    csv_data = as_csv(rows)
    # Every row wrong in the same way a typist gets it wrong: the check digit of the ID number.
    bad_rows = [rows[0], *([*r[:3], r[3][:17] + ("0" if r[3][17] != "0" else "1"), *r[4:]] for r in rows[1:])]
    bad_data = as_xlsx(bad_rows)
    results: list[Result] = []
    with override_settings(DEBUG=False):  # with DEBUG on, Django keeps every query's SQL: not what production pays
        before = last_resident_id()
        try:
            import_s, import_cpu, result = timed_import(admin, "bench-residents.xlsx", xlsx_data)
            if not result.ok:
                raise AssertionError(f"bench_import: the valid file has problems: {result.problems[:5]}")
            insert_s = raw_insert(before)
        finally:
            delete_residents_after(before)
        try:
            csv_s, csv_cpu, result = timed_import(admin, "bench-residents.csv", csv_data)
            if not result.ok:
                raise AssertionError(f"bench_import: the valid CSV has problems: {result.problems[:5]}")
        finally:
            delete_residents_after(before)
        check_s, check_cpu, result = timed_import(admin, "bench-bad.xlsx", bad_data)
        if len(result.problems) != ROWS or last_resident_id() != before:
            raise AssertionError(f"bench_import: expected {ROWS} problems and no rows, got {len(result.problems)}")
        read_s = read_only(bad_data)

    common = {"rows": ROWS, "xlsx_bytes": len(xlsx_data), "grids": len({r[1] for r in rows[1:]})}
    results.append(
        Result(
            "import residents xlsx 50k",
            round(ROWS / import_s, 1),
            "rows/s",
            "executemany INSERT of the same rows",
            round(ROWS / insert_s, 1),
            notes={
                **common,
                "import_s": round(import_s, 3),
                "import_cpu_s": round(import_cpu, 3),
                "executemany_s": round(insert_s, 3),
            },
        )
    )
    results.append(
        Result(
            "import residents csv 50k",
            round(ROWS / csv_s, 1),
            "rows/s",
            "executemany INSERT of the same rows",
            round(ROWS / insert_s, 1),
            notes={
                **common,
                "csv_bytes": len(csv_data),
                "import_s": round(csv_s, 3),
                "import_cpu_s": round(csv_cpu, 3),
                "executemany_s": round(insert_s, 3),
            },
        )
    )
    results.append(
        Result(
            "check residents xlsx 50k, every row bad",
            round(ROWS / check_s, 1),
            "rows/s",
            "openpyxl read of the same workbook",
            round(ROWS / read_s, 1),
            notes={
                **common,
                "check_s": round(check_s, 3),
                "check_cpu_s": round(check_cpu, 3),
                "read_s": round(read_s, 3),
                "problems": ROWS,
            },
        )
    )
    return results
