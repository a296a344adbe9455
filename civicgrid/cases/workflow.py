"""The case loop, declared once as data: which step leads from which states to which, and who may take it.

Services look steps up here (`STEPS[name]`), the rules module registers one permission per step
(`cases.<step>`), the pages offer the steps `available_steps(user, case)` returns, and the state-machine tests
walk every role through every state from this table.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .choices import Status as S


@dataclass(frozen=True)
class Step:
    name: str
    label: str | Promise
    sources: tuple[str, ...]
    target: str | None  # None: the service decides (e.g. a survey that leads to redo)
    who: str  # "dispatcher", "responder", "handler", "supervisor", "street", "reporter"
    needs_note: bool = False
    public: bool = True  # shown on the public tracking page


DISPATCHABLE = (S.ACCEPTED,)
HANDLING = (S.ACKNOWLEDGED, S.IN_PROGRESS)
PARKABLE = (S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS)

STEPS: dict[str, Step] = {
    s.name: s
    for s in [
        Step("accept", _("Accept"), (S.SUBMITTED,), S.ACCEPTED, "dispatcher"),
        Step("reject", _("Reject"), (S.SUBMITTED,), S.REJECTED, "dispatcher", needs_note=True),
        Step("dispatch", _("Dispatch to responder"), DISPATCHABLE, S.DISPATCHED, "dispatcher"),
        Step("handle_ourselves", _("Handle it ourselves"), DISPATCHABLE, S.IN_PROGRESS, "dispatcher"),
        Step("acknowledge", _("Acknowledge"), (S.DISPATCHED,), S.ACKNOWLEDGED, "responder"),
        Step("return", _("Return to dispatcher"), (S.DISPATCHED,), S.ACCEPTED, "responder", needs_note=True),
        Step("start", _("Start work"), (S.ACKNOWLEDGED,), S.IN_PROGRESS, "handler"),
        Step("resolve", _("Mark resolved"), HANDLING, S.RESOLVED, "handler", needs_note=True),
        Step("verify", _("Verified on site"), (S.RESOLVED,), S.VERIFIED, "dispatcher"),
        Step("rework", _("Send back for rework"), (S.RESOLVED,), S.IN_PROGRESS, "dispatcher", needs_note=True),
        Step("close", _("Close"), (S.VERIFIED,), S.CLOSED, "dispatcher"),
        Step("survey", _("Rate the result"), (S.CLOSED,), None, "reporter"),
        Step("park", _("Park (long-term)"), PARKABLE, S.PARKED, "supervisor", needs_note=True),
        Step("unpark", _("Take out of the parked pool"), (S.PARKED,), S.ACCEPTED, "supervisor"),
        Step("merge", _("Merge into another case"), (S.SUBMITTED, S.ACCEPTED), S.MERGED, "dispatcher", needs_note=True),
        Step("request_extension", _("Ask for more time"), HANDLING, None, "handler", needs_note=True, public=False),
        Step(
            "whistle",
            _("Blow the whistle"),
            (S.ACCEPTED, S.DISPATCHED, S.ACKNOWLEDGED, S.IN_PROGRESS, S.PARKED),
            None,
            "street",
            needs_note=True,
            public=False,
        ),
    ]
}

# The one-step path of 就地解决: recorded as submitted → closed by the worker on the spot.
ON_THE_SPOT = Step(
    "solve_on_the_spot", _("Solved on the spot"), (S.SUBMITTED,), S.CLOSED, "dispatcher", needs_note=True
)


def steps_from(status: str) -> list[Step]:
    return [s for s in STEPS.values() if status in s.sources]
