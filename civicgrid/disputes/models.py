"""Dispute screening and mediation (矛盾纠纷排查化解)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Grid


class DisputeKind(models.TextChoices):
    NEIGHBOUR = "neighbour", _("Neighbours")
    PROPERTY = "property", _("Property management")
    FAMILY = "family", _("Family and marriage")
    LABOUR = "labour", _("Wages and labour")
    RENTAL = "rental", _("Rental")
    OTHER = "other", _("Other")


class DisputeStatus(models.TextChoices):
    OPEN = "open", _("Being mediated")
    SETTLED = "settled", _("Settled")
    REFERRED = "referred", _("Referred elsewhere")
    FAILED = "failed", _("Mediation failed")


class Dispute(models.Model):
    """矛盾纠纷: a dispute found in a grid, its mediator and outcome. Parties are stored encrypted."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="disputes")
    client_id = models.UUIDField(unique=True, null=True, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=DisputeKind.choices)
    summary = models.TextField(_("summary"), max_length=2000)
    mediator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="mediated_disputes")
    status = models.CharField(_("status"), max_length=10, choices=DisputeStatus.choices, default=DisputeStatus.OPEN)
    outcome = models.TextField(_("outcome"), blank=True)
    agreement = models.FileField(_("written agreement"), upload_to="disputes/", blank=True)
    found_at = models.DateTimeField(_("found at"))
    settled_at = models.DateTimeField(null=True, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-found_at"]
        verbose_name = _("dispute")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.found_at:%Y-%m-%d}"


class DisputeParty(models.Model):
    """当事人: a party to a dispute; the name and phone are encrypted and shown masked."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="parties")
    name_cipher = models.TextField()
    name_masked = models.CharField(_("name"), max_length=20)
    phone_cipher = models.TextField(blank=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)

    def __str__(self) -> str:
        return self.name_masked


class MediationSession(models.Model):
    """调解: one mediation session or follow-up visit of a dispute."""

    dispute = models.ForeignKey(Dispute, on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField()
    note = models.TextField()
    is_follow_up = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["held_at"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_at:%Y-%m-%d}"


class MonthlyScreening(models.Model):
    """月度排查: a grid's monthly dispute screening; `nothing_found` is the explicit 零报告."""

    grid = models.ForeignKey(Grid, on_delete=models.PROTECT, related_name="screenings")
    month = models.DateField(help_text="first day of the month")
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField()
    nothing_found = models.BooleanField(_("nothing found (零报告)"))
    disputes_found = models.PositiveIntegerField(default=0)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-month"]
        constraints = [models.UniqueConstraint(fields=["grid", "month"], name="one_screening_per_grid_month")]

    def __str__(self) -> str:
        return f"{self.grid} {self.month:%Y-%m}"
