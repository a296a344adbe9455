"""Named permissions over places."""

import rules

from civicgrid.core.predicates import (
    has_area_scope,
    is_area_member,
    is_community_staff,
    is_street_admin,
    object_in_scope,
)

rules.add_perm("areas.view_street", is_street_admin & object_in_scope)
rules.add_perm("areas.view_community", (is_street_admin | is_community_staff) & object_in_scope)
rules.add_perm("areas.view_grid", is_area_member & object_in_scope)
# The API lists of communities and grids: every area member, each seeing only the places of their own area
# (a grid worker sees their own community in the list, though not the community page).
rules.add_perm("areas.list_places", is_area_member)
rules.add_perm("areas.locate", has_area_scope)
rules.add_perm("areas.import_boundaries", is_street_admin | is_community_staff)
