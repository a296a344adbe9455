from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    """Request kinds of the Beijing 接诉即办 regulation."""

    CONSULT = "consult", _("Question (咨询)")
    HELP = "help", _("Request for help (求助)")
    COMPLAINT = "complaint", _("Complaint (投诉)")
    REPORT = "report", _("Report (举报)")
    SUGGESTION = "suggestion", _("Suggestion (建议)")


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")
    DISPATCHED = "dispatched", _("Dispatched")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged by responder")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Resolved, awaiting verification")
    VERIFIED = "verified", _("Verified on site")
    CLOSED = "closed", _("Closed")
    SURVEYED = "surveyed", _("Closed and rated")
    PARKED = "parked", _("Parked (long-term)")
    MERGED = "merged", _("Merged into another case")


OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.ACCEPTED,
    Status.DISPATCHED,
    Status.ACKNOWLEDGED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.VERIFIED,
)
FINISHED_STATUSES = (Status.CLOSED, Status.SURVEYED)


class Channel(models.TextChoices):
    WEB = "web", _("Resident web form")
    PHONE = "phone", _("Phone call")
    WALK_IN = "walk_in", _("Walk-in")
    PATROL = "patrol", _("Found on patrol")
    API = "api", _("API")
    OPEN311 = "open311", _("Open311")


class Urgency(models.TextChoices):
    """Normal limits count working hours; urgent ones count every hour of the clock and are halved."""

    NORMAL = "normal", _("Normal")
    URGENT = "urgent", _("Urgent")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASIC = "basic", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
