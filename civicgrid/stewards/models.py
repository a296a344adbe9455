"""The steward programme (小巷管家): applications, selection, training and activation for a grid."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Community, Grid


class ApplicationStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")
    SELECTED = "selected", _("Selected for training")
    REJECTED = "rejected", _("Not selected")
    ACTIVE = "active", _("Active steward")
    RETIRED = "retired", _("Retired")


class StewardApplication(models.Model):
    """小巷管家申请: a resident applies; community staff select, train and activate them for a grid."""

    applicant = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="steward_applications"
    )
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="steward_applications")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="steward_applications")
    motivation = models.TextField(_("why I want to serve"), max_length=1000)
    skills = models.CharField(_("skills"), max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=ApplicationStatus.choices, default=ApplicationStatus.APPLIED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("steward application")

    def __str__(self) -> str:
        return f"{self.applicant} → {self.community}"


class TrainingSession(models.Model):
    """培训: a training session for stewards of a community, with its length in minutes."""

    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="training_sessions")
    title = models.CharField(_("title"), max_length=100)
    held_at = models.DateTimeField(_("held at"))
    minutes = models.PositiveIntegerField(_("length (minutes)"), default=90)
    trainer = models.CharField(_("trainer"), max_length=50, blank=True)

    class Meta:
        ordering = ["-held_at"]
        verbose_name = _("training session")

    def __str__(self) -> str:
        return self.title


class TrainingAttendance(models.Model):
    """签到: who attended a training session."""

    session = models.ForeignKey(TrainingSession, on_delete=models.CASCADE, related_name="attendance")
    application = models.ForeignKey(StewardApplication, on_delete=models.CASCADE, related_name="attendance")
    attended = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "application"], name="one_attendance_per_session")]

    def __str__(self) -> str:
        return f"{self.session_id}/{self.application_id}"
