"""Named permissions of patrols: stewards and grid workers record in their own grid."""

import rules

from civicgrid.core.predicates import is_area_member, is_community_staff, is_street_admin, works_in_grid

rules.add_perm("patrols.record_in_grid", works_in_grid)
rules.add_perm("patrols.view_patrols", is_area_member)
rules.add_perm("patrols.edit_checklist", is_street_admin)
rules.add_perm("patrols.manage_field_settings", is_street_admin | is_community_staff)
