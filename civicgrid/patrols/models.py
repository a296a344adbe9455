"""Patrols (巡查): a steward's or grid worker's walk through the grid, with the findings recorded on the way."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Grid, Street
from civicgrid.people.models import Building


class ChecklistItem(models.Model):
    """巡查清单项: a kind of hazard to look for; links to the case category it raises.

    Items without a street are the shipped defaults (fixtures/checklist.csv); a street that edits its list gets
    its own copy (services.customise_checklist), and from then on only its own items count.
    """

    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.CASCADE, related_name="checklist_items")
    code = models.CharField(_("code"), max_length=30)
    name = models.CharField(_("name"), max_length=60)
    category = models.ForeignKey("cases.Category", on_delete=models.PROTECT, related_name="+")
    order = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["order", "code"]
        constraints = [models.UniqueConstraint(fields=["street", "code"], name="checklist_code_unique_in_street")]
        verbose_name = _("checklist item")

    def __str__(self) -> str:
        return self.name


class Patrol(models.Model):
    """巡查: one walk through a grid, started and finished on the phone. Only the start and end points are kept
    unless the walker turned tracking on (location traces are sensitive personal data)."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="patrols")
    walker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="patrols")
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    start_lat = models.FloatField(null=True, blank=True)
    start_lng = models.FloatField(null=True, blank=True)
    end_lat = models.FloatField(null=True, blank=True)
    end_lng = models.FloatField(null=True, blank=True)
    tracking = models.BooleanField(_("record my route"), default=False)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("patrol")

    def __str__(self) -> str:
        return f"{self.grid} {self.started_at:%Y-%m-%d}"


class TracePoint(models.Model):
    """轨迹点: a point of a patrol's route, kept only when tracking was on, and deleted after the retention period."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="trace")
    at = models.DateTimeField(db_index=True)
    lat = models.FloatField()
    lng = models.FloatField()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"{self.patrol_id}@{self.at}"


def finding_photo_path(instance: Finding, filename: str) -> str:
    return f"findings/{instance.patrol.grid_id}/{filename}"


class Finding(models.Model):
    """隐患/发现: something found on a patrol: solved on the spot (recorded) or turned into a case."""

    patrol = models.ForeignKey(Patrol, on_delete=models.CASCADE, related_name="findings")
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="findings")
    note = models.TextField(_("note"), blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")
    photo = models.FileField(upload_to=finding_photo_path, blank=True)
    found_at = models.DateTimeField()
    solved_on_spot = models.BooleanField(_("solved on the spot"), default=False)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="findings")

    class Meta:
        ordering = ["-found_at"]
        verbose_name = _("finding")

    def __str__(self) -> str:
        return f"{self.item} @ {self.found_at:%Y-%m-%d}"
