"""The one place that turns a user's role and area into a filter.

Every selector scopes its queryset with `scope_by_grid`, so "who sees what" is decided here and nowhere
else: a street admin sees their street, community staff their community, grid leaders, grid workers and
stewards their grid, and everyone else (responders, residents, merchants) no area at all.
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.db.models import Model, Q, QuerySet

from civicgrid.accounts.choices import ScopeLevel

M = TypeVar("M", bound=Model)

NOTHING = Q(pk__in=[])


def grid_scope_q(user: Any, grid_path: str) -> Q:
    """A Q object limiting rows whose grid is reached by `grid_path` ("" for the Grid model itself)."""
    if not user.is_authenticated or not user.is_active:
        return NOTHING
    if user.is_superuser:
        return Q()
    prefix = f"{grid_path}__" if grid_path else ""
    grid_id = f"{grid_path}_id" if grid_path else "id"
    level = user.scope_level
    if level == ScopeLevel.STREET and user.street_id:
        return Q(**{f"{prefix}community__street_id": user.street_id})
    if level == ScopeLevel.COMMUNITY and user.community_id:
        return Q(**{f"{prefix}community_id": user.community_id})
    if level == ScopeLevel.GRID and user.grid_id:
        return Q(**{grid_id: user.grid_id})
    return NOTHING


def scope_by_grid(qs: QuerySet[M], user: Any, grid_path: str = "grid") -> QuerySet[M]:
    return qs.filter(grid_scope_q(user, grid_path))


# The selector that decides visibility for each scoped model (by model label).
SELECTORS: dict[str, str] = {
    "areas.street": "civicgrid.areas.selectors.streets_for",
    "areas.community": "civicgrid.areas.selectors.communities_for",
    "areas.grid": "civicgrid.areas.selectors.grids_for",
    "areas.serviceplace": "civicgrid.areas.selectors.service_places_for",
    "people.building": "civicgrid.people.selectors.buildings_for",
    "people.household": "civicgrid.people.selectors.households_for",
    "people.resident": "civicgrid.people.selectors.residents_for",
    "people.unit": "civicgrid.people.selectors.units_for",
    "accounts.user": "civicgrid.accounts.selectors.users_for",
    "accounts.householdlinkrequest": "civicgrid.accounts.selectors.link_requests_for",
}


def visible_queryset(model: type[M], user: Any) -> QuerySet[M]:
    """The rows of `model` that `user` may see, from that model's one selector."""
    from django.utils.module_loading import import_string

    return import_string(SELECTORS[model._meta.label_lower])(user)  # type: ignore[no-any-return]
