"""Nurture flows (issue #8) as data: a trigger, then steps that wait, send, branch, emit, exit.

A flow is a typed, frozen model of the YAML a marketing-ops user writes. It says *what* should
happen to a lead; :mod:`leadpact.domain.flow_engine` decides *when*, as a pure function of the
lead's events, the agreement, the flow and a time. Flows never touch scores: what they do is
recorded as events (``Email Sent``, ``Nurture Goal Reached``) that the agreement may score.

The parser is :func:`leadpact.domain.flow_parser.parse_flow`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from leadpact.domain.agreement import Problem, Within
from leadpact.domain.conditions import Condition

FLOW_LANGUAGES: Final = ("ja", "en")

TRIGGER_STAGES: Final = ("lead", "mal", "mql")
"""Stages whose entry may start a flow: nurturing is marketing's work, before sales accepts."""

TRIGGER_ACTIONS: Final = ("reject", "recycle", "lose")
"""The recycling actions (SPEC §5) that send a lead back to marketing, and so into a flow."""

TEST_STAGES: Final = ("mal", "mql", "sal", "sql", "opportunity", "customer", "disqualified")

NEXT: Final = "next"
EXIT: Final = "exit"
"""Branch targets besides a step id: go on with the following step, or leave the flow."""

EMAIL_SENT: Final = "Email Sent"
EMAIL_OPENED: Final = "Email Opened"
EMAIL_CLICKED: Final = "Email Link Clicked"
EMAIL_BOUNCED: Final = "Email Bounced"
EMAIL_FAILED: Final = "Email Failed"
UNSUBSCRIBED: Final = "Unsubscribed"
"""Event names flows write and read. ``Unsubscribed`` (from any source) stops all mail."""

LEAVE_ALL_STAGES: Final = frozenset({"sal", "sql", "opportunity", "customer"})
"""Reaching any of these (SAL or beyond, fast-tracked included) takes a lead out of every flow."""


# --- triggers -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventTrigger:
    """A page or track event matching a §4.1 event condition."""

    condition: Condition


@dataclass(frozen=True, slots=True)
class StageTrigger:
    """The lead enters ``stage`` (one of :data:`TRIGGER_STAGES`)."""

    stage: str


@dataclass(frozen=True, slots=True)
class RecycleTrigger:
    """A recycling action (reject / recycle / lose); ``reasons`` empty means any reason."""

    actions: tuple[str, ...]
    reasons: tuple[str, ...] = ()


Trigger = EventTrigger | StageTrigger | RecycleTrigger


# --- tests (branch conditions and exit_when) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EventTest:
    """A page or track event matching a §4.1 event condition (e.g. ``Webinar Attended``)."""

    condition: Condition


@dataclass(frozen=True, slots=True)
class OpenedTest:
    """The mail of send step ``step`` of *this run* was opened."""

    step: str


@dataclass(frozen=True, slots=True)
class ClickedTest:
    """A link in the mail of send step ``step`` of *this run* was clicked."""

    step: str


@dataclass(frozen=True, slots=True)
class StageTest:
    """The lead entered ``stage`` (fast-tracked entries count)."""

    stage: str


Test = EventTest | OpenedTest | ClickedTest | StageTest


# --- steps ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WaitStep:
    id: str
    duration: Within


@dataclass(frozen=True, slots=True)
class SendStep:
    id: str
    template: str
    data: tuple[tuple[str, Any], ...] = ()
    """Extra template variables (``data.webinar_url``), scalars only."""

    def data_dict(self) -> dict[str, Any]:
        return dict(self.data)


@dataclass(frozen=True, slots=True)
class BranchStep:
    """Did ``test`` happen after ``since`` (a step id; None: since the branch was reached),
    waiting up to ``within`` for it? Yes → ``then``; no → ``otherwise`` (``next``, ``exit`` or a
    later step id)."""

    id: str
    test: Test
    within: Within | None = None
    since: str | None = None
    then: str = NEXT
    otherwise: str = EXIT


@dataclass(frozen=True, slots=True)
class EmitStep:
    """Record a track event for the lead; ``goal`` marks the run as having reached its goal."""

    id: str
    event: str
    properties: tuple[tuple[str, Any], ...] = ()
    goal: bool = True


@dataclass(frozen=True, slots=True)
class ExitStep:
    id: str


Step = WaitStep | SendStep | BranchStep | EmitStep | ExitStep

STEP_KINDS: Final = ("wait", "send_email", "branch", "emit", "exit")


def step_kind(step: Step) -> str:
    """The YAML key of a step (``wait``, ``send_email``, ...)."""
    if isinstance(step, WaitStep):
        return "wait"
    if isinstance(step, SendStep):
        return "send_email"
    if isinstance(step, BranchStep):
        return "branch"
    if isinstance(step, EmitStep):
        return "emit"
    return "exit"


# --- the flow -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SendWindow:
    """When mail may go out, in the lead's local time: ``[start, end)`` minutes after midnight,
    on business days of the agreement's calendar only when ``business_days``. Outside it are
    the quiet hours; a send due then waits for the next allowed moment."""

    start_minute: int = 9 * 60
    end_minute: int = 18 * 60
    business_days: bool = True


@dataclass(frozen=True, slots=True)
class Reentry:
    """``after_days`` None: a lead enters the flow once, ever. Otherwise it may enter again
    ``after_days`` days after its previous entry, once the previous run has ended."""

    after_days: int | None = None


@dataclass(frozen=True, slots=True)
class Flow:
    id: str
    version: str
    trigger: Trigger
    steps: tuple[Step, ...]
    name: str | None = None
    description: str | None = None
    language: str = "ja"
    reentry: Reentry = Reentry()
    exit_when: tuple[Test, ...] = ()
    send_window: SendWindow = SendWindow()

    @property
    def title(self) -> str:
        return self.name or self.id

    def index_of(self, step_id: str) -> int:
        for index, step in enumerate(self.steps):
            if step.id == step_id:
                return index
        raise KeyError(step_id)


class FlowError(ValueError):
    """The flow file is invalid; ``problems`` lists every problem found, in file order."""

    def __init__(self, source: str, problems: list[Problem]) -> None:
        self.source = source
        self.problems = sorted(problems, key=lambda p: p.line or 0)
        super().__init__("\n".join(p.render(source) for p in self.problems))


def frozen_pairs(mapping: Mapping[str, Any]) -> tuple[tuple[str, Any], ...]:
    """A mapping of scalars as sorted pairs, so that a flow stays frozen and comparable."""
    return tuple(sorted(mapping.items()))
