"""Geometry helpers over GeoJSON boundaries (shapely)."""

from __future__ import annotations

from typing import Any

from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


def to_shape(geojson: dict[str, Any]) -> BaseGeometry:
    return shape(geojson)


def centroid_of(geojson: dict[str, Any]) -> tuple[float, float]:
    c = shape(geojson).centroid
    return round(c.x, 7), round(c.y, 7)
