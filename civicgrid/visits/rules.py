"""Named permissions of household visits."""

import rules

from civicgrid.core.predicates import is_area_member, works_in_grid

rules.add_perm("visits.record_in_grid", works_in_grid)
rules.add_perm("visits.view_visits", is_area_member)
