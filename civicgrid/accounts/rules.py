"""Named permissions over accounts."""

from typing import Any

import rules

from civicgrid.core.predicates import is_community_staff, is_resident, is_street_admin, object_in_scope

from .choices import CREATABLE_ROLES


@rules.predicate
def may_create_role(user: Any, role: str | None) -> bool:
    if user.is_superuser:
        return True
    return role is None or role in CREATABLE_ROLES.get(user.role, ())


rules.add_perm("accounts.manage_users", (is_street_admin | is_community_staff) & may_create_role)
rules.add_perm("accounts.decide_link_request", (is_street_admin | is_community_staff) & object_in_scope)
rules.add_perm("accounts.request_household_link", is_resident)
rules.add_perm("audit.view_audit_trail", is_street_admin)
