"""Cases (民情诉求与事件): what residents and stewards raise, and its way to a verified solution."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Community, Grid
from civicgrid.people.models import Building
from civicgrid.responders.models import Responder

from .choices import Channel, ExtensionStatus, Kind, Satisfaction, Status, Urgency


class Category(models.Model):
    """诉求分类: a node of the category taxonomy, with its default responder type and time limits.

    Limits are in minutes (of working time for normal cases, of clock time for urgent ones).
    """

    code = models.CharField(_("code"), max_length=10, unique=True)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")
    name_zh = models.CharField(_("Chinese name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80)
    responder_kind = models.CharField(_("default responder type"), max_length=30, blank=True)
    accept_minutes = models.PositiveIntegerField(_("accept within (minutes)"), default=0)
    resolve_minutes = models.PositiveIntegerField(_("resolve within (minutes)"), default=0)
    urgent = models.BooleanField(_("urgent by default"), default=False)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("case category")
        verbose_name_plural = _("case categories")

    def __str__(self) -> str:
        from django.utils.translation import get_language

        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def is_leaf(self) -> bool:
        return self.parent_id is not None


class Case(models.Model):
    """民情诉求/事件: one matter raised by or for residents, owned by the grid worker of its grid (首接负责)."""

    tracking_code = models.CharField(_("tracking code"), max_length=12, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.HELP)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="cases")
    description = models.TextField(_("what happened"), max_length=4000)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.WEB)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.NORMAL)
    # Where: a point, a building, or an address as typed (the map is never the only way).
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lng = models.FloatField(_("longitude"), null=True, blank=True)
    address_text = models.CharField(_("address"), max_length=200, blank=True)
    building = models.ForeignKey(Building, null=True, blank=True, on_delete=models.SET_NULL, related_name="cases")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    # Who reported: never shown on the public tracking page.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_cases"
    )
    reporter_name = models.CharField(_("reporter name"), max_length=50, blank=True)
    reporter_phone_cipher = models.TextField(blank=True)
    reporter_phone_digest = models.CharField(max_length=64, blank=True)
    reporter_phone_masked = models.CharField(_("reporter phone"), max_length=20, blank=True)
    reporter_email = models.EmailField(_("reporter email"), blank=True)
    anonymous = models.BooleanField(_("anonymous"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="recorded_cases"
    )
    # The loop.
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.SUBMITTED, db_index=True
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_cases")
    responder = models.ForeignKey(Responder, null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    on_the_spot = models.BooleanField(_("solved on the spot"), default=False)
    parked_reason = models.TextField(_("parked because"), blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged")
    satisfaction = models.CharField(_("satisfaction"), max_length=12, choices=Satisfaction.choices, blank=True)
    # Time limits and flags (kept consistent by services and the periodic check).
    accept_due_at = models.DateTimeField(null=True, blank=True)
    resolve_due_at = models.DateTimeField(null=True, blank=True)
    warned_at = models.DateTimeField(null=True, blank=True)
    overdue = models.BooleanField(_("overdue"), default=False, db_index=True)
    escalation_level = models.PositiveSmallIntegerField(default=0)  # 0 grid, 1 community, 2 street
    # Milestones.
    created_at = models.DateTimeField(db_index=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    surveyed_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Counters for the metrics.
    rework_count = models.PositiveSmallIntegerField(default=0)
    redo_count = models.PositiveSmallIntegerField(default=0)
    return_count = models.PositiveSmallIntegerField(default=0)
    extension_count = models.PositiveSmallIntegerField(default=0)
    accepted_on_time = models.BooleanField(null=True)
    resolved_on_time = models.BooleanField(null=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        indexes = [
            models.Index(fields=["grid", "status"]),
            models.Index(fields=["owner", "status"]),
            models.Index(fields=["responder", "status"]),
            models.Index(fields=["community", "status"]),
            models.Index(fields=["category", "created_at"]),
            models.Index(fields=["updated_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} {self.description[:20]}"


class CaseEvent(models.Model):
    """办理记录: one step on a case's timeline (who, when, what, note); `public` steps show on the tracking page."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=14, blank=True)
    to_status = models.CharField(max_length=14, blank=True)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        # A case's timeline and its last step are read by case: without this, PostgreSQL may walk the `at` index
        # backwards over every event to find one case's last step (seen in the demo seed: 173 s → milliseconds).
        indexes = [models.Index(fields=["case", "at"], name="caseevent_case_at")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.action}"


def attachment_path(instance: CaseAttachment, filename: str) -> str:
    return f"cases/{instance.case_id}/{filename}"


class CaseAttachment(models.Model):
    """现场照片: a photo attached to a case at intake or at a step (resolution, verification)."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="attachments")
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="attachments")
    file = models.FileField(upload_to=attachment_path)
    content_type = models.CharField(max_length=50)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("case photo")

    def __str__(self) -> str:
        return self.file.name or ""


class IdempotencyKey(models.Model):
    """幂等键: a client's key for one submission; a retry with the same key returns the same case."""

    scope = models.CharField(max_length=20)
    key = models.CharField(max_length=128)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_key_unique")]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class ExtensionRequest(models.Model):
    """延期申请: a responder asks for more time; community staff or the street approve or refuse."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    extra_minutes = models.PositiveIntegerField()
    reason = models.TextField()
    status = models.CharField(max_length=10, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("extension request")

    def __str__(self) -> str:
        return f"{self.case_id} +{self.extra_minutes}min"


class Whistle(models.Model):
    """吹哨报到: the street summons several responder units to one case; each must report within the limit."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="whistles")
    blown_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    blown_at = models.DateTimeField()
    limit_minutes = models.PositiveIntegerField(default=30)
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("whistle")

    def __str__(self) -> str:
        return f"whistle on {self.case_id}"


class WhistleSummons(models.Model):
    """报到: one summoned unit, and when (if) it reported."""

    whistle = models.ForeignKey(Whistle, on_delete=models.CASCADE, related_name="summons")
    responder = models.ForeignKey(Responder, on_delete=models.PROTECT, related_name="summons")
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("whistle summons")
        constraints = [models.UniqueConstraint(fields=["whistle", "responder"], name="one_summons_per_unit")]

    def __str__(self) -> str:
        return f"{self.whistle_id} → {self.responder_id}"


class CalendarDay(models.Model):
    """工作日历: a date that differs from the usual week: a public holiday, or a make-up workday on a weekend."""

    date = models.DateField(unique=True)
    is_workday = models.BooleanField()
    note = models.CharField(max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar day")

    def __str__(self) -> str:
        return f"{self.date} {'workday' if self.is_workday else 'holiday'}"
