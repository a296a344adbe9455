"""docs/cases.md stays true to the code: it lists every step of the loop, every state and every metric."""

from __future__ import annotations

import re
from pathlib import Path

from civicgrid.cases.choices import Status
from civicgrid.cases.metrics import COUNTS, CaseMetrics
from civicgrid.cases.workflow import ON_THE_SPOT, STEPS

DOC = (Path(__file__).resolve().parents[3] / "docs" / "cases.md").read_text(encoding="utf-8")


def table_rows(heading: str) -> dict[str, list[str]]:
    """The rows of the first table under `heading`, by their first cell (without backticks)."""
    section = DOC.split(f"## {heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells[1:]
    return rows


def test_the_steps_table_lists_every_step_with_its_states_and_who() -> None:
    rows = table_rows("Steps")
    assert set(rows) == set(STEPS) | {ON_THE_SPOT.name}
    for name, step in STEPS.items():
        _zh, sources, target, who, note = rows[name]
        assert {s.strip() for s in sources.split(",")} == set(step.sources), name
        if step.target is not None:
            assert target == step.target, name
        assert who == step.who, name
        assert (note == "yes") == step.needs_note, name


def test_the_states_table_lists_every_state() -> None:
    assert set(table_rows("States")) == set(Status.values)


def test_every_rate_has_a_formula() -> None:
    rates = [name for name, value in vars(CaseMetrics).items() if isinstance(value, property)]
    section = DOC.split("## Metrics", 1)[1]
    for rate in rates:
        words = rate.removesuffix("_rate").replace("_", "[- ]")
        assert re.search(rf"\| [^|]*{words}[^|]* rate", section) or rate == "on_time_rate", rate
    assert "on-time rate" in section
    for count in COUNTS:
        assert count.replace("_", " ") in section, count
