"""Point → grid: which grid contains a latitude/longitude, with an STRtree over every grid polygon.

The tree is built once per process from the grids' GeoJSON and rebuilt when the boundaries change
(`invalidate()` bumps a version in the cache, which every process checks at most every few seconds).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from django.core.cache import cache
from shapely.geometry import shape
from shapely.strtree import STRtree

VERSION_KEY = "areas:locator-version"
RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class GridLocator:
    """An immutable index of grid polygons: grid ids in the same order as the tree's geometries."""

    ids: np.ndarray
    tree: STRtree

    @classmethod
    def from_boundaries(cls, boundaries: list[tuple[int, Any]]) -> GridLocator:
        ids = np.array([grid_id for grid_id, _ in boundaries], dtype=np.int64)
        geoms = [shape(geo) for _, geo in boundaries]
        shapely.prepare(geoms)
        return cls(ids=ids, tree=STRtree(geoms))

    def locate(self, lng: float, lat: float) -> int | None:
        """The id of the grid containing the point (a point on a shared edge goes to the lowest id)."""
        hits = self.tree.query(shapely.Point(lng, lat), predicate="intersects")
        if len(hits) == 0:
            return None
        return int(self.ids[hits].min())

    def locate_many(self, lngs: np.ndarray, lats: np.ndarray) -> np.ndarray:
        """Vectorised look-up: one grid id per point, -1 where no grid contains it."""
        points = shapely.points(lngs, lats)
        point_idx, geom_idx = self.tree.query(points, predicate="intersects")
        out = np.full(len(points), -1, dtype=np.int64)
        # Reverse order so that, for a point on a shared edge, the lowest grid id is written last.
        order = np.lexsort((-self.ids[geom_idx], point_idx))
        out[point_idx[order]] = self.ids[geom_idx[order]]
        return out


_lock = threading.Lock()
_state: dict[str, object] = {"locator": None, "version": None, "checked": 0.0}


def _load() -> GridLocator:
    from .models import Grid

    rows = [(gid, geo) for gid, geo in Grid.objects.exclude(boundary=None).values_list("id", "boundary")]
    return GridLocator.from_boundaries(rows)


def get_locator() -> GridLocator:
    now = time.monotonic()
    locator = _state["locator"]
    if locator is not None and now - float(_state["checked"]) < RECHECK_SECONDS:  # type: ignore[arg-type]
        return locator  # type: ignore[return-value]
    with _lock:
        version = cache.get(VERSION_KEY, 0)
        if _state["locator"] is None or _state["version"] != version:
            _state["locator"] = _load()
            _state["version"] = version
        _state["checked"] = now
        return _state["locator"]  # type: ignore[return-value]


def invalidate() -> None:
    """Called after boundaries change (imports, edits): every process rebuilds its tree."""
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)
    with _lock:
        _state["locator"] = None
