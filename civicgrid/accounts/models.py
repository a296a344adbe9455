"""People who log in: staff of every level, stewards, responders, residents and merchants."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from civicgrid.areas.models import Community, Grid, Street

from .choices import GRID_ROLES, LinkStatus, Role, ScopeLevel


class User(AbstractUser):
    """用户: one account with one role; its scope is the street, community or grid it is attached to.

    Phone numbers are stored encrypted (see civicgrid.core.crypto); residents log in with theirs.
    """

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    display_name = models.CharField(_("name"), max_length=50, blank=True)
    street = models.ForeignKey(Street, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    community = models.ForeignKey(Community, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    grid = models.ForeignKey(Grid, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    responder = models.ForeignKey(
        "responders.Responder", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="accounts"
    )
    phone_cipher = models.TextField(blank=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    phone_masked = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.display_name or self.username

    @property
    def scope_level(self) -> str:
        if self.is_superuser or self.role == Role.STREET_ADMIN:
            return ScopeLevel.STREET
        if self.role == Role.COMMUNITY_STAFF:
            return ScopeLevel.COMMUNITY
        if self.role in GRID_ROLES:
            return ScopeLevel.GRID
        return ScopeLevel.NONE

    @property
    def scope_label(self) -> str:
        level = self.scope_level
        if level == ScopeLevel.GRID and self.grid is not None:
            return f"{self.grid.community} {self.grid}"
        if level == ScopeLevel.COMMUNITY and self.community_id:
            return str(self.community)
        if level == ScopeLevel.STREET and self.street_id:
            return str(self.street)
        return ""


class HouseholdLinkRequest(models.Model):
    """住户认证申请: a registered resident asks to be linked to their household; community staff decide."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="link_requests")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, related_name="link_requests")
    household = models.ForeignKey(
        "people.Household", null=True, blank=True, on_delete=models.SET_NULL, related_name="link_requests"
    )
    address_text = models.CharField(_("address as given"), max_length=200)
    name_given = models.CharField(_("name as given"), max_length=50)
    status = models.CharField(max_length=10, choices=LinkStatus.choices, default=LinkStatus.PENDING)
    decided_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("household link request")

    def __str__(self) -> str:
        return f"{self.name_given} → {self.address_text}"
