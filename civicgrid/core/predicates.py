"""Predicates shared by every app's rules.py (django-rules). They read like the sentences they test."""

from __future__ import annotations

from typing import Any

import rules
from django.db.models import Model

from civicgrid.accounts.choices import Role, ScopeLevel


def has_role(*roles: str) -> rules.Predicate:
    names = "_or_".join(roles)

    @rules.predicate(name=f"has_role_{names}")
    def _has_role(user: Any) -> bool:
        return bool(user.is_authenticated and (user.is_superuser or user.role in roles))

    return _has_role


is_street_admin = has_role(Role.STREET_ADMIN)
is_community_staff = has_role(Role.COMMUNITY_STAFF)
is_grid_leader = has_role(Role.GRID_LEADER)
is_grid_worker = has_role(Role.GRID_WORKER)
is_steward = has_role(Role.STEWARD)
is_resident = has_role(Role.RESIDENT)
is_area_staff = has_role(Role.STREET_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.GRID_WORKER)
is_area_member = has_role(Role.STREET_ADMIN, Role.COMMUNITY_STAFF, Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD)


@rules.predicate
def has_area_scope(user: Any) -> bool:
    return bool(user.is_authenticated and user.scope_level != ScopeLevel.NONE)


@rules.predicate
def object_in_scope(user: Any, obj: Model | None) -> bool:
    """The object is inside the user's area: the same selector that builds the lists decides."""
    if obj is None:
        return True
    from civicgrid.core.scoping import visible_queryset

    return visible_queryset(type(obj), user).filter(pk=obj.pk).exists()


is_field_member = has_role(Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD)


@rules.predicate
def works_in_grid(user: Any, grid: Any) -> bool:
    """Field work is recorded only in one's own grid (stewards and grid workers); staff above see, not record."""
    if grid is None:
        return False
    if user.is_superuser:
        return True
    return bool(
        user.is_authenticated
        and user.role in (Role.GRID_LEADER, Role.GRID_WORKER, Role.STEWARD)
        and user.grid_id == getattr(grid, "pk", grid)
    )
