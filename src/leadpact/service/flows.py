"""Nurture flow versions in the store, like agreement versions: upload (validated, templates
rendered), list, activate, deactivate, and which versions accept entries when.

* A version is immutable: uploading the same ``(id, version)`` again with other text is a
  conflict (change ``version``); the same text again is a no-op.
* Activating a version opens its entry window; the next activation of the same flow closes
  it. Runs already in progress keep the version they entered under until they end.
* Deactivating stops the flow at once: no lead enters it, and its runs in progress send no
  more mail and record no more goals (mail waiting in the outbox is cancelled in the same
  transaction). Activating it again (any version) starts it afresh from that moment.

:meth:`FlowService.active_flows` is what the scheduler evaluates. The per-flow reports read
:meth:`FlowService.reported_flows`: the same windows for a flow in force, and for a stopped flow
the windows it had until its stop, so its results stay visible.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

from leadpact.adapters.agreement_yaml import parse_yaml
from leadpact.adapters.flow_yaml import load_flow_text
from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.flow_models import FLOW_ID_LENGTH
from leadpact.adapters.store.flows_repo import FlowActivationRecord, FlowsRepo, FlowVersionRecord
from leadpact.adapters.store.nurture_repo import NurtureRepo
from leadpact.domain.agreement import AgreementError, Problem
from leadpact.domain.flow_runs import ActiveFlow
from leadpact.domain.flows import Flow, FlowError
from leadpact.service.agreements import UnknownVersionError, VersionConflictError
from leadpact.service.nurture.check import RenderCheck
from leadpact.service.nurture.templates import TemplateLibrary

DEACTIVATED = "flow deactivated"
"""Why mail cancelled by a deactivation was suppressed."""


class FlowVersionConflictError(VersionConflictError):
    """The flow version exists with different text (versions are immutable)."""


class UnknownFlowError(UnknownVersionError):
    """No such flow id or flow version in the store (404)."""


@dataclass(frozen=True, slots=True)
class UploadedFlow:
    record: FlowVersionRecord
    flow: Flow
    created: bool


@dataclass(frozen=True, slots=True)
class Activated:
    activation: FlowActivationRecord
    changed: bool
    """False: the version was already the active one (nothing recorded)."""
    cancelled: int = 0
    """Mail cancelled by a deactivation."""


@dataclass(frozen=True, slots=True)
class ReportedFlow:
    """One entry window of a flow version that the per-flow reports show. ``stopped_at`` /
    ``stopped_by``: the flow was deactivated then, by them (None: it is in force), and
    ``window.active_until`` of its last window is the stop."""

    window: ActiveFlow
    stopped_at: int | None = None
    stopped_by: str | None = None

    @property
    def flow(self) -> Flow:
        return self.window.flow


@dataclass(frozen=True, slots=True)
class FlowStatus:
    """One flow id: its versions, and the activation in force at ``now`` (None: not active)."""

    flow_id: str
    versions: list[FlowVersionRecord]
    activations: list[FlowActivationRecord]
    current: FlowActivationRecord | None


def flow_windows(
    activations: Sequence[FlowActivationRecord], now: int
) -> list[tuple[FlowActivationRecord, int, int | None]]:
    """The entry windows ``(activation, from, until)`` in force at ``now`` for one flow's
    activations: those since its last deactivation (none if that deactivation is the latest
    event), each until the next activation."""
    rows = sorted((a for a in activations if a.activated_at <= now), key=lambda a: (a.activated_at, a.id))
    start = 0
    for index, row in enumerate(rows):
        if row.deactivated_at is not None and row.deactivated_at <= now:
            start = index + 1
    epoch = rows[start:]
    return [
        (row, row.activated_at, epoch[i + 1].activated_at if i + 1 < len(epoch) else None)
        for i, row in enumerate(epoch)
    ]


def last_epoch(
    activations: Sequence[FlowActivationRecord], now: int
) -> tuple[list[tuple[FlowActivationRecord, int, int | None]], FlowActivationRecord | None]:
    """One flow's most recent epoch as of ``now`` (the activations since the deactivation before
    it) and the activation whose deactivation ended it (None: the flow is in force). In force:
    :func:`flow_windows`. Stopped: the windows it had, the last one until the stop."""
    windows = flow_windows(activations, now)
    rows = sorted((a for a in activations if a.activated_at <= now), key=lambda a: (a.activated_at, a.id))
    if windows or not rows:
        return windows, None
    stops = [i for i, row in enumerate(rows) if row.deactivated_at is not None and row.deactivated_at <= now]
    stopped = rows[stops[-1]]  # no window although activated: the latest row is the deactivated one
    epoch = rows[stops[-2] + 1 if len(stops) > 1 else 0 : stops[-1] + 1]
    assert stopped.deactivated_at is not None
    ends = [row.activated_at for row in epoch[1:]] + [stopped.deactivated_at]
    return [(row, row.activated_at, end) for row, end in zip(epoch, ends, strict=True)], stopped


class FlowService:
    def __init__(self, store: Store, templates: TemplateLibrary | None = None) -> None:
        self.store = store
        self.templates = templates or TemplateLibrary()
        self._parsed: dict[int, Flow] = {}
        self._lock = threading.Lock()

    # --- validation and upload -----------------------------------------------------------------
    def check(self, yaml_text: str, source: str) -> Flow:
        """Validate a flow as ``flows check`` does (YAML, keys, every template rendered for a
        sample lead and for a lead with only an address); raises :class:`FlowError` naming line
        and field of every problem. Templates are rendered while the steps are parsed, as in
        ``flows check``, so a template problem is reported beside the flow's other problems."""
        flow = load_flow_text(yaml_text, source, RenderCheck(self.templates))
        problems: list[Problem] = []
        for key, value in (("id", flow.id), ("version", flow.version)):
            if len(value) > FLOW_ID_LENGTH:
                problems.append(
                    Problem(
                        key, f"expected at most {FLOW_ID_LENGTH} characters, found {len(value)}", _line(yaml_text, key)
                    )
                )
        if problems:
            raise FlowError(source, problems)
        return flow

    def upload(self, yaml_text: str, source: str, by: str, now: int) -> UploadedFlow:
        """Validate and store a version (raises FlowError, FlowVersionConflictError)."""
        flow = self.check(yaml_text, source)
        with self.store.write() as conn:
            repo = FlowsRepo(conn)
            existing = repo.by_version(flow.id, flow.version)
            if existing is not None:
                if existing.yaml_text != yaml_text:
                    raise FlowVersionConflictError(
                        f"{source}: flow {flow.id!r} version {flow.version!r} already exists with different "
                        "content; versions are immutable, so change `version`"
                    )
                return UploadedFlow(existing, flow, created=False)
            record = repo.add(flow.id, flow.version, flow.name, yaml_text, by, now)
        return UploadedFlow(record, flow, created=True)

    # --- reading ------------------------------------------------------------------------------
    def versions(self) -> list[FlowVersionRecord]:
        with self.store.read() as conn:
            return FlowsRepo(conn).versions()

    def activations(self, flow_id: str | None = None) -> list[FlowActivationRecord]:
        with self.store.read() as conn:
            return FlowsRepo(conn).activations(flow_id)

    def get(self, flow_id: str, version: str) -> FlowVersionRecord:
        with self.store.read() as conn:
            record = FlowsRepo(conn).by_version(flow_id, version)
        if record is None:
            raise UnknownFlowError(f"no version {version!r} of flow {flow_id!r}; upload it first")
        return record

    def status(self, now: int) -> list[FlowStatus]:
        """Every flow id in the store, with its versions and activations, sorted by id."""
        with self.store.read() as conn:
            repo = FlowsRepo(conn)
            versions = repo.versions()
            activations = repo.activations()
        out: list[FlowStatus] = []
        for flow_id in sorted({v.flow_id for v in versions}):
            mine = [a for a in activations if a.flow_id == flow_id]
            windows = flow_windows(mine, now)
            current = windows[-1][0] if windows else None
            out.append(FlowStatus(flow_id, [v for v in versions if v.flow_id == flow_id], mine, current))
        return out

    def parse(self, record: FlowVersionRecord) -> Flow:
        """A stored version as a :class:`Flow` (validated at upload; parsed once)."""
        with self._lock:
            flow = self._parsed.get(record.id)
            if flow is None:
                flow = load_flow_text(record.yaml_text, f"flow {record.flow_id} version {record.version}")
                self._parsed[record.id] = flow
            return flow

    def active_flows(self, now: int) -> list[ActiveFlow]:
        """Every flow version that accepts entries, or has runs that may still act, at ``now``,
        with its entry window ``[active_from, active_until)`` — what the scheduler evaluates.

        A flow deactivated at or before ``now`` (and not activated since) has none: its runs
        send and record nothing more. Sorted by flow id, then activation time."""
        with self.store.read() as conn:
            repo = FlowsRepo(conn)
            activations = repo.activations()
            records = {v.id: v for v in repo.versions()}
        active: list[ActiveFlow] = []
        for flow_id in sorted({a.flow_id for a in activations}):
            for activation, start, until in flow_windows([a for a in activations if a.flow_id == flow_id], now):
                flow = self.parse(records[activation.flow_version_id])
                active.append(ActiveFlow(flow, active_from=start, active_until=until))
        return active

    def reported_flows(self, now: int) -> list[ReportedFlow]:
        """What the per-flow reports show as of ``now``: for every flow id activated by then, the
        windows of its most recent epoch — those of :meth:`active_flows` while it is in force;
        once it is stopped (deactivated at or before ``now``, not activated since), the windows it
        had, the last one closed at the stop, with when and by whom it was stopped. An epoch before
        a re-activation is not shown (ask as of a moment before it). Sorted like
        :meth:`active_flows`; the scheduler never reads this."""
        with self.store.read() as conn:
            repo = FlowsRepo(conn)
            activations = repo.activations()
            records = {v.id: v for v in repo.versions()}
        reported: list[ReportedFlow] = []
        for flow_id in sorted({a.flow_id for a in activations}):
            windows, stop = last_epoch([a for a in activations if a.flow_id == flow_id], now)
            for activation, start, until in windows:
                flow = self.parse(records[activation.flow_version_id])
                reported.append(
                    ReportedFlow(
                        ActiveFlow(flow, active_from=start, active_until=until),
                        stopped_at=stop.deactivated_at if stop is not None else None,
                        stopped_by=stop.deactivated_by if stop is not None else None,
                    )
                )
        return reported

    # --- activation ---------------------------------------------------------------------------
    def activate(self, flow_id: str, version: str, by: str, now: int) -> Activated:
        """Open ``version``'s entry window from ``now`` (closing the previous version's)."""
        with self.store.write() as conn:
            repo = FlowsRepo(conn)
            record = repo.by_version(flow_id, version)
            if record is None:
                raise UnknownFlowError(f"no version {version!r} of flow {flow_id!r}; upload it first")
            activations = repo.activations(flow_id)
            windows = flow_windows(activations, now)
            if windows and windows[-1][0].flow_version_id == record.id:
                return Activated(windows[-1][0], changed=False)
            if activations and not windows:  # stopped: it starts afresh, so may queue those keys again
                NurtureRepo(conn).forget_cancelled_of_flow(flow_id, DEACTIVATED)
            return Activated(repo.activate(record, by, now), changed=True)

    def deactivate(self, flow_id: str, by: str, now: int) -> Activated:
        """Stop the flow at ``now``: no entries, no more mail or goals from its runs; mail
        queued for it is cancelled in the same transaction."""
        with self.store.write() as conn:
            repo = FlowsRepo(conn)
            activations = repo.activations(flow_id)
            if not activations:
                raise UnknownFlowError(f"flow {flow_id!r} has never been activated")
            windows = flow_windows(activations, now)
            if not windows:
                return Activated(activations[-1], changed=False)
            current = windows[-1][0]
            repo.deactivate(current.id, by, now)
            cancelled = NurtureRepo(conn).suppress_pending_of_flow(flow_id, DEACTIVATED)
            updated = repo.activation(current.id)
        assert updated is not None
        return Activated(updated, changed=True, cancelled=cancelled)


def _line(yaml_text: str, path: str) -> int | None:
    try:
        _, lines = parse_yaml(yaml_text, "flow")
    except AgreementError:
        return None
    return lines.get(path)
