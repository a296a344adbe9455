"""Named permissions over buildings, households, residents and units."""

import rules

from civicgrid.core.predicates import (
    is_area_member,
    is_area_staff,
    is_community_staff,
    is_street_admin,
    object_in_scope,
)

rules.add_perm("people.list_residents", is_area_member)
rules.add_perm("people.view_resident", is_area_member & object_in_scope)
# Stewards are volunteers: they see masked data of their grid but may never reveal it.
rules.add_perm("people.reveal_resident", is_area_staff & object_in_scope)
rules.add_perm("people.import_registry", is_street_admin | is_community_staff)
