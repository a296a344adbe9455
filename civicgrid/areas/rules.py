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
rules.add_perm("areas.locate", has_area_scope)
rules.add_perm("areas.import_boundaries", is_street_admin | is_community_staff)
