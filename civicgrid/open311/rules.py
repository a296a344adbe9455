"""Named permissions over integrations: street admins issue and revoke their street's API keys."""

import rules

from civicgrid.core.predicates import is_street_admin

rules.add_perm("open311.manage_api_keys", is_street_admin)
