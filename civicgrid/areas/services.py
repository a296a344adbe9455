"""Every change to places: grid boundaries imported from GeoJSON."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from shapely.geometry import shape
from shapely.strtree import STRtree

from civicgrid.audit.services import record
from civicgrid.core.errors import require

from . import locator
from .models import Community, Grid
from .selectors import communities_for

# Polygons of neighbouring grids may touch; an overlap larger than this (in square degrees, ~1 m²) is an error.
OVERLAP_TOLERANCE = 1e-10


@dataclass
class BoundaryProblem:
    row: int  # 1-based feature number
    field: str
    message: str


class BoundaryImportError(Exception):
    def __init__(self, problems: list[BoundaryProblem]) -> None:
        super().__init__(f"{len(problems)} problem(s)")
        self.problems = problems


def import_boundaries(actor: Any, raw: bytes) -> dict[str, int]:
    """Create or update grids from a GeoJSON FeatureCollection. Any problem: nothing is written."""
    require(actor, "areas.import_boundaries")
    try:
        data = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BoundaryImportError([BoundaryProblem(0, _("file"), _("not valid GeoJSON: %(e)s") % {"e": exc})]) from exc
    if (
        not isinstance(data, dict)
        or data.get("type") != "FeatureCollection"
        or not isinstance(data.get("features"), list)
    ):
        raise BoundaryImportError([BoundaryProblem(0, _("file"), _("must be a GeoJSON FeatureCollection"))])

    communities = {c.code: c for c in communities_for(actor)}
    problems: list[BoundaryProblem] = []
    parsed: list[tuple[int, dict[str, Any], Community, Any]] = []
    seen_codes: set[str] = set()
    for n, feature in enumerate(data["features"], start=1):
        props = (feature or {}).get("properties") or {}
        code = str(props.get("code") or "").strip()
        name = str(props.get("name") or "").strip()
        community_code = str(props.get("community_code") or "").strip()
        row_problems = []
        if not code:
            row_problems.append(BoundaryProblem(n, "code", _("grid code is missing")))
        elif code in seen_codes:
            row_problems.append(
                BoundaryProblem(n, "code", _("grid code %(c)s appears twice in the file") % {"c": code})
            )
        if not name:
            row_problems.append(BoundaryProblem(n, "name", _("grid name is missing")))
        community = communities.get(community_code)
        if community is None:
            row_problems.append(
                BoundaryProblem(
                    n,
                    "community_code",
                    _("community %(c)s is unknown or outside your area") % {"c": community_code or "—"},
                )
            )
        elif code and (not code.startswith(community.code) or not code[len(community.code) :].isdigit()):
            row_problems.append(
                BoundaryProblem(
                    n,
                    "code",
                    _("grid code must be the community code %(c)s followed by digits") % {"c": community.code},
                )
            )
        geometry = (feature or {}).get("geometry")
        geom = None
        if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            row_problems.append(BoundaryProblem(n, "geometry", _("must be a Polygon or MultiPolygon")))
        else:
            try:
                geom = shape(geometry)
            except Exception as exc:  # shapely raises several types for malformed coordinates
                row_problems.append(BoundaryProblem(n, "geometry", _("coordinates are malformed: %(e)s") % {"e": exc}))
            else:
                if not geom.is_valid:
                    row_problems.append(
                        BoundaryProblem(n, "geometry", _("polygon is invalid (self-intersecting or unclosed)"))
                    )
                minx, miny, maxx, maxy = geom.bounds
                if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                    row_problems.append(
                        BoundaryProblem(n, "geometry", _("coordinates must be longitude, latitude in degrees"))
                    )
        seen_codes.add(code)
        problems.extend(row_problems)
        if not row_problems and community is not None and geom is not None:
            parsed.append((n, {"code": code, "name": name, "geometry": geometry}, community, geom))

    # Grids must not overlap: check the new polygons against each other and against the grids they do not replace.
    new_codes = {p[1]["code"] for p in parsed}
    others = [(g.code, shape(g.boundary)) for g in Grid.objects.exclude(boundary=None).exclude(code__in=new_codes)]
    all_shapes = [(f"#{n}", p["code"], geom) for n, p, _c, geom in parsed] + [("", code, geom) for code, geom in others]
    tree = STRtree([s for _r, _c, s in all_shapes])
    for i, (row, _code, geom) in enumerate(all_shapes[: len(parsed)]):
        for j in tree.query(geom, predicate="intersects"):
            if j == i or (j < len(parsed) and j < i):
                continue
            if geom.intersection(all_shapes[j][2]).area > OVERLAP_TOLERANCE:
                problems.append(
                    BoundaryProblem(int(row[1:]), "geometry", _("overlaps grid %(c)s") % {"c": all_shapes[j][1]})
                )
    if problems:
        raise BoundaryImportError(problems)

    created = updated = 0
    with transaction.atomic():
        for _n, props, community, _geom in parsed:
            seq = int(props["code"][len(community.code) :])
            _grid, was_created = Grid.objects.update_or_create(
                code=props["code"],
                defaults={"community": community, "seq": seq, "name": props["name"], "boundary": props["geometry"]},
            )
            created += was_created
            updated += not was_created
        record(
            actor,
            "areas.import_boundaries",
            None,
            target_type="areas.grid",
            after={"created": created, "updated": updated},
        )
        transaction.on_commit(locator.invalidate)
    return {"created": created, "updated": updated}
