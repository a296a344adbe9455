"""Household visits (入户走访): who visited which household, why, what was found and what follows."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Grid
from civicgrid.people.models import Household


class Purpose(models.TextChoices):
    CARE = "care", _("Care visit")
    SAFETY = "safety", _("Safety check")
    SURVEY = "survey", _("Information survey")
    FOLLOW_UP = "follow_up", _("Follow-up")
    POLICY = "policy", _("Policy explanation")


class FollowUp(models.TextChoices):
    NONE = "none", _("None needed")
    CASE = "case", _("Raised a case")
    REFERRAL = "referral", _("Referred to a service")
    ACTIVITY = "activity", _("Invited to an activity")


class Visit(models.Model):
    """走访记录: a visit to a household by a grid worker or steward."""

    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="visits")
    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="visits")
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="visits")
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    visited_at = models.DateTimeField(_("visited at"), db_index=True)
    purpose = models.CharField(_("purpose"), max_length=12, choices=Purpose.choices, default=Purpose.CARE)
    found = models.TextField(_("what was found"), blank=True)
    needs = models.CharField(_("needs"), max_length=200, blank=True)
    risks = models.CharField(_("risks"), max_length=200, blank=True)
    follow_up = models.CharField(_("follow-up"), max_length=10, choices=FollowUp.choices, default=FollowUp.NONE)
    follow_up_note = models.CharField(_("follow-up note"), max_length=200, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="visits")

    class Meta:
        ordering = ["-visited_at"]
        indexes = [models.Index(fields=["household", "visited_at"])]
        verbose_name = _("household visit")

    def __str__(self) -> str:
        return f"{self.household} {self.visited_at:%Y-%m-%d}"
