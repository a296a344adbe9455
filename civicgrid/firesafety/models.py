"""Fire-safety register (消防设施台账): extinguishers, hydrants and exits per building, with expiry dates."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.people.models import Building


class ItemKind(models.TextChoices):
    EXTINGUISHER = "extinguisher", _("Fire extinguisher")
    HYDRANT = "hydrant", _("Hydrant")
    FIRE_EXIT = "fire_exit", _("Fire exit")
    ALARM = "alarm", _("Smoke alarm")
    EMERGENCY_LIGHT = "emergency_light", _("Emergency light")


class ItemState(models.TextChoices):
    OK = "ok", _("In order")
    EXPIRING = "expiring", _("Expiring soon")
    EXPIRED = "expired", _("Expired")
    MISSING = "missing", _("Missing or broken")
    BLOCKED = "blocked", _("Blocked")


class SafetyItem(models.Model):
    """消防设施: one item of a building's fire-safety register; an expired item raises a case automatically."""

    building = models.ForeignKey(Building, on_delete=models.CASCADE, related_name="safety_items")
    kind = models.CharField(_("kind"), max_length=20, choices=ItemKind.choices)
    location = models.CharField(_("where in the building"), max_length=100)
    expires_on = models.DateField(_("expires on"), null=True, blank=True, db_index=True)
    last_checked_on = models.DateField(_("last checked on"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=ItemState.choices, default=ItemState.OK)
    reminded_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["building", "kind", "location"]
        verbose_name = _("fire-safety item")

    def __str__(self) -> str:
        return f"{self.building} {self.get_kind_display()} {self.location}"
