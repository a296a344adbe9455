"""Named permissions of the fire-safety register: everyone of the area sees it; the grid's own people record."""

import rules

from civicgrid.core.predicates import is_area_member, works_in_grid

rules.add_perm("firesafety.view_register", is_area_member)
rules.add_perm("firesafety.record_in_grid", works_in_grid)
