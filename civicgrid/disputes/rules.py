"""Named permissions of dispute screening and mediation."""

import rules

from civicgrid.core.predicates import is_area_member, works_in_grid

rules.add_perm("disputes.record_in_grid", works_in_grid)
rules.add_perm("disputes.view_disputes", is_area_member)
