"""The benchmark harness: every figure is reported with a baseline measured in the same run.

A benchmark module is `bench/bench_<name>.py` with `def run(ctx: Context) -> list[Result]`. `python -m bench`
(or `make bench`) runs them all against the database of DATABASE_URL (SQLite by default, in var/bench/),
prints a table and appends one JSON line per figure to var/bench/results.jsonl.
BENCH_SCALE=small (default, a few minutes in all) or BENCH_SCALE=large (district scale).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "var" / "bench" / "results.jsonl"


@dataclass
class Result:
    """One figure: `value` in `unit`, next to `baseline_value` of `baseline` measured in the same run.

    `ratio` is value / baseline_value (for rates: how many times the baseline's speed; for times and
    latencies: how many times the baseline's duration).
    """

    name: str
    value: float
    unit: str
    baseline: str
    baseline_value: float
    scale: str = ""
    database: str = ""
    when: str = ""
    ratio: float = 0.0
    notes: dict[str, Any] = field(default_factory=dict)

    def finish(self, ctx: Context) -> Result:
        self.scale = self.scale or ctx.scale
        self.database = self.database or ctx.database
        self.when = self.when or datetime.now().astimezone().isoformat(timespec="seconds")
        self.ratio = round(self.value / self.baseline_value, 3) if self.baseline_value else 0.0
        return self


@dataclass
class Context:
    scale: str  # "small" or "large"
    database: str  # "sqlite" or "postgresql"

    @property
    def large(self) -> bool:
        return self.scale == "large"


def timed(fn: Callable[[], Any], repeat: int = 1) -> list[float]:
    """Wall-clock seconds of each of `repeat` calls."""
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def median_ms(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1000, 3)


def write(results: list[Result]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a", encoding="utf-8") as fh:
        for r in results:
            row = asdict(r)
            notes = row.pop("notes")
            if notes:
                row["notes"] = notes
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def table(results: list[Result]) -> str:
    lines = [f"{'figure':<44} {'value':>14} {'unit':<12} {'baseline':<34} {'baseline value':>14} {'ratio':>8}"]
    for r in results:
        lines.append(
            f"{r.name:<44} {r.value:>14,.3f} {r.unit:<12} {r.baseline[:34]:<34} {r.baseline_value:>14,.3f} {r.ratio:>8.3f}"
        )
    return "\n".join(lines)


def database_kind() -> str:
    return "postgresql" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "sqlite"
