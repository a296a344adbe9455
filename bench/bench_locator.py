"""Point → grid look-ups over the 1,700 grids of the demo district, against a linear scan of the polygons.

The polygons are the district's own (DemoBuilder.lattice with the district's 50 × 34 cells of 0.006°, seed 2026,
exactly what `seed_demo --scale district` stores), built in memory: no database is needed. Grid ids are shuffled
so that "a point on a shared edge goes to the lowest grid id" is really exercised, and the answers of `locate`,
`locate_many` and the linear scan must agree on every point checked, shared corners included.
"""

from __future__ import annotations

import random
import statistics
import time
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Polygon

from bench.common import Context, Result
from bench.db import SEED, machine
from civicgrid.areas.locator import GridLocator
from civicgrid.core.demo.street import DemoBuilder

COLS, ROWS, CELL = 50, 34, 0.006  # the district's lattice (see DemoBuilder.build)
ORIGIN = (103.88, 30.55)
SINGLE_POINTS = 100_000
MANY_POINTS = 1_000_000
SCAN_POINTS = 2_000
CORNER_POINTS = 500  # polygon vertices (corners and edge midpoints, shared by 2 to 4 grids) checked for the tie rule
REPEAT = 3
AIM_SINGLE = 50_000  # single-point look-ups per second


def district_cells() -> list[list[tuple[float, float]]]:
    """The district's grid rings, from the same code and random stream as `DemoBuilder.build` (lattice first)."""
    # Only lattice() is needed: skip __init__, which reads care tags from the database and hashes a password.
    builder = DemoBuilder.__new__(DemoBuilder)
    builder.rng = random.Random(SEED)
    builder.origin = ORIGIN
    return builder.lattice(COLS, ROWS, CELL)


def random_points(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Uniform over the district's bounding box widened by 1% on each side, so about 4% fall outside every grid."""
    x0, y0 = ORIGIN
    w, h = COLS * CELL, ROWS * CELL
    xs = np.round(rng.uniform(x0 - 0.01 * w, x0 + 1.01 * w, n), 6)
    ys = np.round(rng.uniform(y0 - 0.01 * h, y0 + 1.01 * h, n), 6)
    return xs, ys


def linear_scan(polygons: list[Polygon], ids: list[int], xs: np.ndarray, ys: np.ndarray) -> list[int | None]:
    """The naive answer: try the prepared polygons in ascending id order, first hit wins (so ties go to the lowest)."""
    out: list[int | None] = []
    for x, y in zip(xs.tolist(), ys.tolist(), strict=True):
        found = None
        for poly, gid in zip(polygons, ids, strict=True):
            if shapely.intersects_xy(poly, x, y):
                found = gid
                break
        out.append(found)
    return out


def check(label: str, expected: list[int | None], got: list[int | None], xs: np.ndarray, ys: np.ndarray) -> None:
    bad = [i for i, (e, g) in enumerate(zip(expected, got, strict=True)) if e != g]
    if bad:
        i = bad[0]
        raise AssertionError(
            f"locator: {label} disagrees on {len(bad)} point(s), e.g. ({xs[i]}, {ys[i]}): {expected[i]} ≠ {got[i]}"
        )


def as_optional(ids: np.ndarray) -> list[int | None]:
    return [None if v < 0 else v for v in ids.tolist()]


def run(ctx: Context) -> list[Result]:
    cells = district_cells()
    rng = np.random.default_rng(SEED)
    # Shuffled ids, so that the lowest id of a shared edge is not simply the first polygon in the tree.
    ids = [int(v) for v in rng.permutation(len(cells)) + 1001]
    t0 = time.perf_counter()
    locator = GridLocator.from_boundaries(
        [
            (gid, {"type": "Polygon", "coordinates": [[list(p) for p in ring]]})
            for gid, ring in zip(ids, cells, strict=True)
        ]
    )
    build_s = time.perf_counter() - t0

    # (a) single-point look-ups, as a request pays them.
    xs, ys = random_points(rng, SINGLE_POINTS)
    pairs = list(zip(xs.tolist(), ys.tolist(), strict=True))
    single: list[int | None] = []
    runs = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        single = [locator.locate(x, y) for x, y in pairs]
        runs.append(time.perf_counter() - t0)
    single_rate = SINGLE_POINTS / statistics.median(runs)
    outside = sum(1 for v in single if v is None)

    # (b) vectorised look-ups.
    mxs, mys = random_points(rng, MANY_POINTS)
    runs = []
    for _ in range(REPEAT):
        t0 = time.perf_counter()
        locator.locate_many(mxs, mys)
        runs.append(time.perf_counter() - t0)
    many_rate = MANY_POINTS / statistics.median(runs)

    # Baseline: a linear scan over prepared polygons, on a sample of the single points.
    by_id = sorted(zip(ids, cells, strict=True))
    polygons = [Polygon(ring) for _, ring in by_id]
    shapely.prepare(polygons)
    scan_ids = [gid for gid, _ in by_id]
    sx, sy = xs[:SCAN_POINTS], ys[:SCAN_POINTS]
    t0 = time.perf_counter()
    scanned = linear_scan(polygons, scan_ids, sx, sy)
    scan_rate = SCAN_POINTS / (time.perf_counter() - t0)

    # Correctness: all three agree on the random points, and on every shared corner (the tie rule).
    check("locate_many vs locate", single, as_optional(locator.locate_many(xs, ys)), xs, ys)
    check("locate vs linear scan", scanned, single[:SCAN_POINTS], sx, sy)
    shared = sorted({p for ring in cells for p in ring[:-1]})
    corners = [shared[i] for i in sorted(rng.choice(len(shared), CORNER_POINTS, replace=False).tolist())]
    cx = np.array([p[0] for p in corners])
    cy = np.array([p[1] for p in corners])
    by_scan = linear_scan(polygons, scan_ids, cx, cy)
    check("locate vs linear scan on shared corners", by_scan, [locator.locate(x, y) for x, y in corners], cx, cy)
    check("locate_many vs linear scan on shared corners", by_scan, as_optional(locator.locate_many(cx, cy)), cx, cy)
    if single_rate < AIM_SINGLE:
        print(f"   locator: {single_rate:,.0f} single look-ups/s is below the aim of {AIM_SINGLE:,}/s", flush=True)

    notes: dict[str, Any] = {
        "grids": len(cells),
        "tree_build_ms": round(build_s * 1000, 1),
        "outside_share": round(outside / SINGLE_POINTS, 4),
        "baseline_points": SCAN_POINTS,
        "corners_checked": len(corners),
        "aim": AIM_SINGLE,
        **machine(),
    }
    baseline = f"linear scan, {SCAN_POINTS:,} pts"
    return [
        Result(
            "locator.locate (single point)",
            round(single_rate, 1),
            "points/s",
            baseline,
            round(scan_rate, 1),
            database="none",
            notes={**notes, "points": SINGLE_POINTS, "repeat": REPEAT},
        ),
        Result(
            "locator.locate_many (vectorised)",
            round(many_rate, 1),
            "points/s",
            baseline,
            round(scan_rate, 1),
            database="none",
            notes={**notes, "points": MANY_POINTS, "repeat": REPEAT},
        ),
    ]
