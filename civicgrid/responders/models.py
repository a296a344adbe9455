"""Responder units: the departments and companies that handle dispatched cases, and where they serve."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Community, Grid, Street

from .choices import ResponderKind


class Responder(models.Model):
    """处置单位 (职能部门/物业/环卫…): a unit that receives cases of its kind in the area it serves.

    The area is a set of communities and/or grids; a unit with neither serves the whole street.
    """

    street = models.ForeignKey(Street, on_delete=models.PROTECT, related_name="responders")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=30, choices=ResponderKind.choices)
    contact_name = models.CharField(_("contact"), max_length=50, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=30, blank=True)
    communities = models.ManyToManyField(Community, blank=True, related_name="responders")
    grids = models.ManyToManyField(Grid, blank=True, related_name="responders")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "name"]
        verbose_name = _("responder unit")

    def __str__(self) -> str:
        return self.name
