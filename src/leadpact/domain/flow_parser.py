"""Validate plain data (what a YAML reader produced) as a nurture :class:`Flow`.

Same quality bar as the agreement: every problem is collected with its field path
(``steps[2].branch.within``), the line it was written on when known, what was expected and
what was found; unknown keys are errors. Conditions use the agreement's §4.1 parser, so a
trigger reads exactly like an engagement rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

# The agreement's condition parser and its problem collector are reused, not copied: one
# condition language. (They are underscore-named in agreement.py; see docs/nurture.md.)
from leadpact.domain.agreement import Problem, Reader, join_path, parse_condition, parse_within
from leadpact.domain.flows import (
    EXIT,
    FLOW_LANGUAGES,
    NEXT,
    STEP_KINDS,
    TEST_STAGES,
    TRIGGER_ACTIONS,
    TRIGGER_STAGES,
    BranchStep,
    ClickedTest,
    EmitStep,
    EventTest,
    EventTrigger,
    ExitStep,
    Flow,
    FlowError,
    OpenedTest,
    RecycleTrigger,
    Reentry,
    SendStep,
    SendWindow,
    StageTest,
    StageTrigger,
    Step,
    Test,
    Trigger,
    WaitStep,
    frozen_pairs,
)
from leadpact.domain.messages import describe


@dataclass(frozen=True, slots=True)
class FlowLabel:
    """What a template sees of the flow being checked (``flow.id``, ``flow.name``, ...), known
    even when those keys have problems of their own, so that its templates are still checked."""

    id: str
    version: str
    title: str


TemplateCheck = Callable[[SendStep, FlowLabel], Sequence[Problem]]
"""Given a send step, the problems of its template (e.g. "no such template"), each with a path
relative to the step's ``send_email`` (``template``, or ``""`` for the template as a whole) and
no line: the parser places them. Injected by the service that knows where templates live, so
this module stays free of I/O."""

_TOP_KEYS: Final = (
    "id",
    "version",
    "name",
    "description",
    "language",
    "trigger",
    "steps",
    "reentry",
    "exit_when",
    "send_window",
)
_EVENT_CONDITION_KEYS: Final = ("type", "event", "path", "path_prefix", "property", "all", "any", "not")
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_VERSION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_UNNAMED: Final = "unnamed"
"""The id a send step's template is checked under while its own id has a problem."""


def parse_flow(
    data: Any,
    source: str = "flow",
    lines: Mapping[str, int] | None = None,
    template_check: TemplateCheck | None = None,
) -> Flow:
    """Validate ``data`` as a flow. Raises :class:`FlowError` listing every problem."""
    r = Reader(lines or {})
    top = r.mapping(data, "", _TOP_KEYS, required=("id", "version", "trigger", "steps"))
    if top is None:
        raise FlowError(source, r.problems)
    flow_id = _identifier(r, top["id"], "id") if "id" in top else None
    version = _version(r, top["version"]) if "version" in top else None
    name = r.text(top["name"], "name") if top.get("name") is not None else None
    description = r.text(top["description"], "description") if top.get("description") is not None else None
    language = r.choice(top["language"], "language", FLOW_LANGUAGES) if "language" in top else "ja"
    trigger = _trigger(r, top["trigger"]) if "trigger" in top else None
    outline = _outline(top.get("steps"))
    label = FlowLabel(flow_id or "flow", version or "0", name or flow_id or "flow")
    steps = _steps(r, top["steps"], _Context(outline, template_check, label)) if "steps" in top else ()
    reentry = _reentry(r, top["reentry"]) if top.get("reentry") is not None else Reentry()
    exit_when = tuple(
        test
        for i, raw in enumerate(r.sequence(top.get("exit_when"), "exit_when"))
        if (test := _test(r, raw, f"exit_when[{i}]")) is not None
    )
    window = _send_window(r, top["send_window"]) if top.get("send_window") is not None else SendWindow()
    for i, test in enumerate(exit_when):
        if outline and isinstance(test, OpenedTest | ClickedTest):
            _check_mail_reference(r, outline, test.step, len(outline), f"exit_when[{i}]")
    if r.problems or flow_id is None or version is None or trigger is None or language is None or not steps:
        raise FlowError(source, r.problems)
    return Flow(
        id=flow_id,
        version=version,
        trigger=trigger,
        steps=steps,
        name=name,
        description=description,
        language=language,
        reentry=reentry,
        exit_when=exit_when,
        send_window=window,
    )


def _identifier(r: Reader, value: Any, path: str) -> str | None:
    if isinstance(value, bool):
        shown = "true" if value else "false"
        r.problem(
            path, f"expected a name, found boolean {shown} (YAML reads yes, no, on and off as true/false: quote it)"
        )
        return None
    text = r.text(value, path)
    if text is not None and not _is_identifier(text):
        r.problem(path, f"expected letters, digits, '_' or '-' (it appears in links and keys), found {text!r}")
        return None
    return text


def _is_identifier(value: Any) -> bool:
    return isinstance(value, str) and _ID.match(value) is not None


def _version(r: Reader, value: Any) -> str | None:
    text = r.text(value, "version")
    if text is not None and not _VERSION.match(text):
        r.problem("version", f"expected letters, digits, '.', '_' or '-' (e.g. \"2026.1\"), found {text!r}")
        return None
    return text


# --- trigger and tests ----------------------------------------------------------------------------


def _trigger(r: Reader, value: Any) -> Trigger | None:
    path = "trigger"
    if not isinstance(value, dict) or not value:
        r.problem(
            path, f"expected a mapping (an event condition, {{stage: ...}} or {{action: ...}}), found {describe(value)}"
        )
        return None
    keys = set(value)
    if "stage" in keys:
        if not _alone(r, keys, "stage", path):
            return None
        stage = r.choice(value["stage"], join_path(path, "stage"), TRIGGER_STAGES)
        return StageTrigger(stage) if stage is not None else None
    if keys & {"action", "reason"}:
        return _recycle_trigger(r, value, path)
    if not _only_event_keys(
        r, keys, path, "a trigger is an event condition, {stage: ...} or {action: ..., reason: ...}"
    ):
        return None
    condition = parse_condition(r, value, path, "event")
    return EventTrigger(condition) if condition is not None else None


def _recycle_trigger(r: Reader, value: dict[str, Any], path: str) -> Trigger | None:
    raw = r.mapping(value, path, ("action", "reason"), required=("action",))
    if raw is None or "action" not in raw:
        return None
    actions = _names(r, raw["action"], join_path(path, "action"), TRIGGER_ACTIONS)
    reasons = _names(r, raw["reason"], join_path(path, "reason"), None) if raw.get("reason") is not None else ()
    if actions is None or reasons is None:
        return None
    return RecycleTrigger(actions, reasons)


def _names(r: Reader, value: Any, path: str, options: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """One name or a non-empty list of names (each one of ``options`` when given)."""
    items = value if isinstance(value, list) else [value]
    if not items:
        r.problem(path, "expected a name or a non-empty list of names, found an empty list")
        return None
    found: list[str] = []
    for i, item in enumerate(items):
        item_path = f"{path}[{i}]" if isinstance(value, list) else path
        name = r.choice(item, item_path, options) if options is not None else r.text(item, item_path)
        if name is None:
            return None
        found.append(name)
    return tuple(found)


def _test(r: Reader, value: Any, path: str) -> Test | None:
    """A branch condition or exit_when item: opened / clicked / stage / an event condition."""
    if not isinstance(value, dict) or not value:
        r.problem(path, f"expected a condition mapping, found {describe(value)}")
        return None
    keys = set(value)
    for key, kind in (("opened", OpenedTest), ("clicked", ClickedTest)):
        if key in keys:
            if not _alone(r, keys, key, path):
                return None
            step = _identifier(r, value[key], join_path(path, key))
            return kind(step) if step is not None else None
    if "stage" in keys:
        if not _alone(r, keys, "stage", path):
            return None
        stage = r.choice(value["stage"], join_path(path, "stage"), TEST_STAGES)
        return StageTest(stage) if stage is not None else None
    if not _only_event_keys(
        r, keys, path, "a condition here is {opened: STEP}, {clicked: STEP}, {stage: ...} or an event condition"
    ):
        return None
    condition = parse_condition(r, value, path, "event")
    return EventTest(condition) if condition is not None else None


def _alone(r: Reader, keys: set[Any], key: str, path: str) -> bool:
    if len(keys) > 1:
        others = ", ".join(sorted(map(str, keys - {key})))
        r.problem(path, f"'{key}' must stand alone in its mapping; found also {others}")
        return False
    return True


def _only_event_keys(r: Reader, keys: set[Any], path: str, hint: str) -> bool:
    unknown = sorted(str(k) for k in keys if k not in _EVENT_CONDITION_KEYS)
    for key in unknown:
        r.problem(join_path(path, key), f"unknown key {key!r}; {hint} ({', '.join(_EVENT_CONDITION_KEYS)})")
    return not unknown


# --- steps ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Outline:
    """A step as read leniently before it is validated: enough to check references to it even
    when it has problems of its own, so that one broken step does not hide the others'."""

    id: str | None
    """None: its id is invalid (reported at the step)."""
    kind: str | None
    """None: not exactly one of STEP_KINDS (reported at the step)."""


@dataclass(frozen=True, slots=True)
class _Context:
    """What validating one step needs to know beyond the step itself."""

    outline: tuple[_Outline, ...]
    template_check: TemplateCheck | None
    flow: FlowLabel


def _outline(value: Any) -> tuple[_Outline, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(_outline_of(raw, i) for i, raw in enumerate(value))


def _outline_of(raw: Any, index: int) -> _Outline:
    if not isinstance(raw, dict):
        return _Outline(_default_id(index), "exit" if raw == "exit" else None)
    step_id = raw.get("id", _default_id(index))
    kinds = [k for k in STEP_KINDS if k in raw]
    return _Outline(step_id if _is_identifier(step_id) else None, kinds[0] if len(kinds) == 1 else None)


def _default_id(index: int) -> str:
    return f"step{index + 1}"


def _steps(r: Reader, value: Any, context: _Context) -> tuple[Step, ...]:
    raw_steps = r.sequence(value, "steps")
    if isinstance(value, list) and not value:
        r.problem("steps", "expected at least one step")
    parsed = [_step(r, raw, i, context) for i, raw in enumerate(raw_steps)]
    _check_ids(r, context.outline)
    steps = tuple(step for step in parsed if step is not None)
    return steps if len(steps) == len(parsed) else ()  # a flow is never built from some of its steps


def _check_ids(r: Reader, outline: tuple[_Outline, ...]) -> None:
    seen: dict[str, int] = {}
    for i, step in enumerate(outline):
        if step.id is None:
            continue
        if step.id in seen:
            r.problem(f"steps[{i}].id", f"duplicate step id {step.id!r} (already used at steps[{seen[step.id]}])")
        elif step.id in (NEXT, EXIT):
            r.problem(f"steps[{i}].id", f"{step.id!r} is reserved for branch targets; choose another id")
        else:
            seen[step.id] = i


def _step(r: Reader, raw: Any, index: int, context: _Context) -> Step | None:
    path = f"steps[{index}]"
    default_id = _default_id(index)
    if raw == "exit":
        return ExitStep(default_id)
    step = r.mapping(raw, path, ("id", *STEP_KINDS))
    if step is None:
        return None
    kinds = [k for k in STEP_KINDS if k in step]
    if len(kinds) != 1:
        found = ", ".join(kinds) if kinds else "none"
        r.problem(path, f"expected exactly one of {', '.join(STEP_KINDS)}, found {found}")
        return None
    step_id = _identifier(r, step["id"], join_path(path, "id")) if "id" in step else default_id
    kind = kinds[0]
    body = step[kind]
    body_path = join_path(path, kind)
    # The body is validated even when the id is not, so that its own problems show at once.
    if kind == "wait":
        duration = parse_within(r, body, body_path)
        return WaitStep(step_id, duration) if duration is not None and step_id is not None else None
    if kind == "send_email":
        return _send(r, step_id, body, body_path, context)
    if kind == "branch":
        return _branch(r, step_id, body, body_path, index, context.outline)
    if kind == "emit":
        return _emit(r, step_id, body, body_path)
    if body is not None and body is not True:
        r.problem(body_path, f"exit takes no settings (write '- exit'), found {describe(body)}")
        return None
    return ExitStep(step_id) if step_id is not None else None


def _send(r: Reader, step_id: str | None, body: Any, path: str, context: _Context) -> Step | None:
    if isinstance(body, str):
        body = {"template": body}
    raw = r.mapping(body, path, ("template", "data"), required=("template",))
    if raw is None or "template" not in raw:
        return None
    template = _identifier(r, raw["template"], join_path(path, "template"))
    data = _scalars(r, raw["data"], join_path(path, "data")) if raw.get("data") is not None else {}
    if template is None or data is None:
        return None
    step = SendStep(step_id or _UNNAMED, template, frozen_pairs(data))
    if context.template_check is not None:
        for problem in context.template_check(step, context.flow):
            r.problem(f"{path}.{problem.path}" if problem.path else path, problem.message)
    return step if step_id is not None else None


def _branch(
    r: Reader, step_id: str | None, body: Any, path: str, index: int, outline: tuple[_Outline, ...]
) -> Step | None:
    raw = r.mapping(body, path, ("if", "within", "since", "then", "else"), required=("if",))
    if raw is None:
        return None
    test = _test(r, raw["if"], join_path(path, "if")) if "if" in raw else None
    within = parse_within(r, raw["within"], join_path(path, "within")) if raw.get("within") is not None else None
    since = _identifier(r, raw["since"], join_path(path, "since")) if raw.get("since") is not None else None
    then = _identifier(r, raw["then"], join_path(path, "then")) if raw.get("then") is not None else NEXT
    otherwise = _identifier(r, raw["else"], join_path(path, "else")) if raw.get("else") is not None else EXIT
    _check_branch(r, outline, index, path, _BranchReferences(test, since, then, otherwise))
    if step_id is None or test is None or then is None or otherwise is None:
        return None
    if raw.get("within") is not None and within is None:
        return None
    if raw.get("since") is not None and since is None:
        return None
    return BranchStep(step_id, test, within, since, then, otherwise)


def _emit(r: Reader, step_id: str | None, body: Any, path: str) -> Step | None:
    if isinstance(body, str):
        body = {"event": body}
    raw = r.mapping(body, path, ("event", "properties", "goal"), required=("event",))
    if raw is None or "event" not in raw:
        return None
    event = r.text(raw["event"], join_path(path, "event"))
    props = _scalars(r, raw["properties"], join_path(path, "properties")) if raw.get("properties") is not None else {}
    goal = raw.get("goal", True)
    if not isinstance(goal, bool):
        r.problem(join_path(path, "goal"), f"expected true or false, found {describe(goal)}")
        return None
    if step_id is None or event is None or props is None:
        return None
    return EmitStep(step_id, event.strip(), frozen_pairs(props), goal)


def _scalars(r: Reader, value: Any, path: str) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        r.problem(path, f"expected a mapping of names to values, found {describe(value)}")
        return None
    ok = True
    for key, item in value.items():
        if not isinstance(key, str):
            r.problem(path, f"expected names as keys, found {describe(key)}")
            ok = False
        elif item is not None and not isinstance(item, str | int | float | bool):
            r.problem(
                join_path(path, key), f"expected a single value (text, number, true/false), found {describe(item)}"
            )
            ok = False
    return {str(k): v for k, v in value.items()} if ok else None


@dataclass(frozen=True, slots=True)
class _BranchReferences:
    """The parts of a branch that name steps; None where the part itself has a problem."""

    test: Test | None
    since: str | None
    then: str | None
    otherwise: str | None


def _check_branch(r: Reader, outline: tuple[_Outline, ...], index: int, path: str, refs: _BranchReferences) -> None:
    ids = [step.id for step in outline]
    for key, target in (("then", refs.then), ("else", refs.otherwise)):
        if target is None or target in (NEXT, EXIT):
            continue
        if target not in ids:
            r.problem(join_path(path, key), f"no step with id {target!r}; expected next, exit or a later step id")
        elif ids.index(target) <= index:
            r.problem(
                join_path(path, key),
                f"{target!r} is not after this branch; branches jump forward only (flows never loop)",
            )
    if refs.since is not None and refs.since not in ids[:index]:
        r.problem(join_path(path, "since"), f"expected the id of an earlier step, found {refs.since!r}")
    if isinstance(refs.test, OpenedTest | ClickedTest):
        _check_mail_reference(r, outline, refs.test.step, index, join_path(path, "if"))


def _check_mail_reference(r: Reader, outline: tuple[_Outline, ...], target: str, before: int, path: str) -> None:
    # A step of unknown kind has its own problem reported; it is not reported twice here.
    if not any(step.id == target and step.kind in ("send_email", None) for step in outline[:before]):
        r.problem(path, f"expected the id of an earlier send_email step, found {target!r}")


# --- flow settings ------------------------------------------------------------------------------------


def _reentry(r: Reader, value: Any) -> Reentry:
    if value == "once":
        return Reentry()
    if not isinstance(value, dict):
        r.problem("reentry", f"expected once or {{after_days: N}}, found {describe(value)}")
        return Reentry()
    raw = r.mapping(value, "reentry", ("after_days",), required=("after_days",))
    if raw is None or "after_days" not in raw:
        return Reentry()
    days = r.integer(raw["after_days"], "reentry.after_days", minimum=1)
    return Reentry(days) if days is not None else Reentry()


def _send_window(r: Reader, value: Any) -> SendWindow:
    raw = r.mapping(value, "send_window", ("from", "to", "business_days"))
    if raw is None:
        return SendWindow()
    default = SendWindow()
    start = _clock(r, raw["from"], "send_window.from") if "from" in raw else default.start_minute
    end = _clock(r, raw["to"], "send_window.to") if "to" in raw else default.end_minute
    business = raw.get("business_days", True)
    if not isinstance(business, bool):
        r.problem("send_window.business_days", f"expected true or false, found {describe(business)}")
        business = True
    if start is not None and end is not None and start >= end:
        r.problem("send_window", 'expected from before to on the same day (e.g. from: "09:00", to: "18:00")')
    if start is None or end is None:
        return default
    return SendWindow(start, end, business)


def _clock(r: Reader, value: Any, path: str) -> int | None:
    """``"HH:MM"`` as minutes after midnight; ``"24:00"`` is allowed as an end."""
    if isinstance(value, str) and value.strip() == "24:00":
        return 24 * 60
    match = _CLOCK.match(value.strip()) if isinstance(value, str) else None
    if match is None:
        hint = " (YAML reads an unquoted 18:00 as a number: quote it)" if isinstance(value, int) else ""
        r.problem(path, f'expected a time "HH:MM", found {describe(value)}{hint}')
        return None
    return int(match.group(1)) * 60 + int(match.group(2))
