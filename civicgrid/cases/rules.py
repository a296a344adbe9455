"""Named permissions of the case loop: one per step (`cases.<step>`), built from who-predicates.

- dispatcher: the case's owner side: grid leader/worker of its grid, community staff of its community,
  street admins of its street (and the owner themself, whatever their role);
- responder: an account of the responder unit the case is dispatched to;
- handler: the responder, or the dispatcher side when the case is handled without a responder;
- supervisor: community staff of the case's community and street admins;
- street: street admins of the case's street.
"""

from typing import Any

import rules

from civicgrid.accounts.choices import Role
from civicgrid.core.predicates import has_area_scope, has_role, is_area_staff, is_street_admin

from .workflow import STEPS


def _street_id(case: Any) -> int | None:
    if case.community_id is None:
        return None
    return case.community.street_id  # type: ignore[no-any-return]


@rules.predicate
def is_case_dispatcher(user: Any, case: Any) -> bool:
    if case is None or not user.is_authenticated:
        return False
    if user.is_superuser or case.owner_id == user.id:
        return True
    if user.role in (Role.GRID_WORKER, Role.GRID_LEADER):
        return case.grid_id is not None and case.grid_id == user.grid_id
    if user.role == Role.COMMUNITY_STAFF:
        return case.community_id is not None and case.community_id == user.community_id
    if user.role == Role.STREET_ADMIN:
        return case.community_id is None or _street_id(case) == user.street_id
    return False


@rules.predicate
def is_case_responder(user: Any, case: Any) -> bool:
    return bool(
        case is not None
        and user.is_authenticated
        and user.role == Role.RESPONDER
        and case.responder_id is not None
        and case.responder_id == user.responder_id
    )


@rules.predicate
def has_no_responder(user: Any, case: Any) -> bool:
    return case is not None and case.responder_id is None


@rules.predicate
def is_case_supervisor(user: Any, case: Any) -> bool:
    if case is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    if user.role == Role.COMMUNITY_STAFF:
        return case.community_id is not None and case.community_id == user.community_id
    if user.role == Role.STREET_ADMIN:
        return case.community_id is None or _street_id(case) == user.street_id
    return False


WHO = {
    "dispatcher": is_case_dispatcher,
    "responder": is_case_responder,
    "handler": is_case_responder | (is_case_dispatcher & has_no_responder),
    "supervisor": is_case_supervisor,
    "street": is_street_admin & is_case_supervisor,
    # Reporters rate through their tracking code (checked by the service); staff may record a phone survey.
    "reporter": is_case_dispatcher,
}

for step in STEPS.values():
    rules.add_perm(f"cases.{step.name}", WHO[step.who])

rules.add_perm("cases.solve_on_the_spot", is_case_dispatcher)
rules.add_perm("cases.record_case", has_area_scope)
rules.add_perm("cases.view_case", is_case_dispatcher | is_case_responder)
rules.add_perm("cases.approve_extension", is_case_supervisor)
rules.add_perm("cases.report_to_whistle", has_role(Role.RESPONDER))
rules.add_perm("cases.manage_categories", is_street_admin)
rules.add_perm("cases.manage_calendar", is_street_admin)
rules.add_perm("cases.view_board", is_area_staff)
# The pages: area staff and stewards work from the inbox, responder units from their queue.
rules.add_perm("cases.view_inbox", has_area_scope)
rules.add_perm("cases.view_queue", has_role(Role.RESPONDER))
