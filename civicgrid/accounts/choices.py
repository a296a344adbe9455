from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    STREET_ADMIN = "street_admin", _("Street admin")
    COMMUNITY_STAFF = "community_staff", _("Community staff")
    GRID_LEADER = "grid_leader", _("Grid leader")
    GRID_WORKER = "grid_worker", _("Grid worker")
    STEWARD = "steward", _("Steward")
    RESPONDER = "responder", _("Responder")
    RESIDENT = "resident", _("Resident")
    MERCHANT = "merchant", _("Charity merchant")


STAFF_ROLES = {Role.STREET_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.GRID_WORKER}
GRID_ROLES = {Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD}

# Who may create an account of which role (staff accounts are made by their superiors only).
CREATABLE_ROLES: dict[str, tuple[str, ...]] = {
    Role.STREET_ADMIN: (
        Role.STREET_ADMIN,
        Role.COMMUNITY_STAFF,
        Role.GRID_LEADER,
        Role.GRID_WORKER,
        Role.STEWARD,
        Role.RESPONDER,
        Role.MERCHANT,
    ),
    Role.COMMUNITY_STAFF: (Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD, Role.MERCHANT),
}


class LinkStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for confirmation")
    APPROVED = "approved", _("Confirmed")
    REJECTED = "rejected", _("Rejected")


class ScopeLevel(models.TextChoices):
    STREET = "street", _("Street")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")
    NONE = "none", _("None")
