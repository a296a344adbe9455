"""Named permissions of the steward programme."""

import rules

from civicgrid.core.predicates import is_community_staff, is_resident, is_street_admin, object_in_scope

rules.add_perm("stewards.apply", is_resident)
rules.add_perm("stewards.manage_programme", is_community_staff | is_street_admin)
rules.add_perm("stewards.view_roster", (is_community_staff | is_street_admin) | object_in_scope)
