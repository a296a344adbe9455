"""Places: the street, its communities, their grids and micro-grids, and the service places in them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .choices import CommunityKind, ServicePlaceKind


class Street(models.Model):
    """街道: the sub-district office at the top of the tree."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    district = models.CharField(_("district"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("street")

    def __str__(self) -> str:
        return self.name


class Community(models.Model):
    """社区/村: an urban community or a rural village committee of a street."""

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="communities")
    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=CommunityKind.choices, default=CommunityKind.URBAN)
    address = models.CharField(_("office address"), max_length=200, blank=True)
    phone = models.CharField(_("office phone"), max_length=30, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")

    def __str__(self) -> str:
        return self.name


class Grid(models.Model):
    """网格: the basic unit of 200–500 households, with a boundary, a grid leader and grid workers.

    The code is the community code plus a two-digit sequence (e.g. 51011601 + 03). The boundary is a GeoJSON
    Polygon or MultiPolygon in WGS-84 (longitude, latitude); the centroid and bounding box are derived on save.
    """

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="grids")
    code = models.CharField(_("code"), max_length=30, unique=True)
    seq = models.PositiveSmallIntegerField(_("sequence"))
    name = models.CharField(_("name"), max_length=100)
    boundary = models.JSONField(_("boundary"), null=True, blank=True)
    centroid_lat = models.FloatField(null=True, blank=True)
    centroid_lng = models.FloatField(null=True, blank=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("grid leader"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_grids",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("grid")
        constraints = [models.UniqueConstraint(fields=["community", "seq"], name="grid_seq_unique_in_community")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.boundary:
            from .geometry import centroid_of

            self.centroid_lng, self.centroid_lat = centroid_of(self.boundary)
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "boundary" in update_fields:
                # update_or_create saves only the fields it was given: the derived centroid must go with them.
                kwargs["update_fields"] = {*update_fields, "centroid_lat", "centroid_lng"}
        super().save(*args, **kwargs)


class MicroGrid(models.Model):
    """微网格: an optional sub-unit of a grid (a building or a few), led by a volunteer."""

    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, related_name="micro_grids")
    code = models.CharField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    leader_name = models.CharField(_("leader"), max_length=50, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("micro-grid")

    def __str__(self) -> str:
        return self.name


class ServicePlace(models.Model):
    """服务阵地: a party-masses service station, community room or public activity space, with hours and services."""

    community = models.ForeignKey(Community, on_delete=models.CASCADE, related_name="service_places")
    grid = models.ForeignKey(Grid, on_delete=models.CASCADE, null=True, blank=True, related_name="service_places")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ServicePlaceKind.choices)
    address = models.CharField(_("address"), max_length=200, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    opening_hours = models.CharField(_("opening hours"), max_length=200, blank=True)
    services = models.TextField(_("services"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service place")

    def __str__(self) -> str:
        return self.name
