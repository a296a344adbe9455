"""Reads over accounts, scoped: superiors see the accounts in their area."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from civicgrid.core.scoping import NOTHING

from .choices import LinkStatus, Role, ScopeLevel
from .models import HouseholdLinkRequest, User


def users_for(user: Any) -> QuerySet[User]:
    qs = User.objects.select_related("street", "community", "grid", "responder")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    level = user.scope_level
    if level == ScopeLevel.STREET:
        s = user.street_id
        return qs.filter(
            Q(street_id=s) | Q(community__street_id=s) | Q(grid__community__street_id=s) | Q(responder__street_id=s)
        )
    if level == ScopeLevel.COMMUNITY:
        c = user.community_id
        return qs.filter(Q(community_id=c) | Q(grid__community_id=c))
    if level == ScopeLevel.GRID:
        return qs.filter(grid_id=user.grid_id)
    return qs.filter(id=user.id)


def staff_of_grid(grid_id: int) -> QuerySet[User]:
    return User.objects.filter(grid_id=grid_id, is_active=True, role__in=[Role.GRID_LEADER, Role.GRID_WORKER])


def stewards_of_grid(grid_id: int) -> QuerySet[User]:
    return User.objects.filter(grid_id=grid_id, is_active=True, role=Role.STEWARD)


def link_requests_for(user: Any) -> QuerySet[HouseholdLinkRequest]:
    qs = HouseholdLinkRequest.objects.select_related("user", "community", "household")
    if not user.is_authenticated:
        return qs.none()
    if user.is_superuser:
        return qs
    if user.role == Role.STREET_ADMIN:
        return qs.filter(community__street_id=user.street_id)
    if user.role == Role.COMMUNITY_STAFF:
        return qs.filter(community_id=user.community_id)
    if user.role == Role.RESIDENT:
        return qs.filter(user_id=user.id)
    return qs.filter(NOTHING)


def pending_link_requests_for(user: Any) -> QuerySet[HouseholdLinkRequest]:
    return link_requests_for(user).filter(status=LinkStatus.PENDING)
