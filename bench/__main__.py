"""Run every benchmark: `python -m bench [name ...]` (see bench/common.py)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main(argv: list[str]) -> int:
    # Benchmarks use their own database, never the demo one: var/bench/bench.sqlite3 unless DATABASE_URL is set.
    os.environ.setdefault("CIVICGRID_VAR_DIR", str(HERE.parent / "var" / "bench"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("CONN_MAX_AGE", "600")
    import django

    django.setup()
    from bench.common import Context, database_kind, table, write

    ctx = Context(scale=os.environ.get("BENCH_SCALE", "small"), database=database_kind())
    wanted = set(argv)
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    results = []
    for name in names:
        if wanted and name.removeprefix("bench_") not in wanted and name not in wanted:
            continue
        print(f"== {name} ({ctx.scale}, {ctx.database})", flush=True)
        module = importlib.import_module(f"bench.{name}")
        got = [r.finish(ctx) for r in module.run(ctx)]
        print(table(got), flush=True)
        write(got)
        results.extend(got)
    print("\n== all figures")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
