"""Agreement versions: upload (validated), list, activate, and which one applies now.

Without an activation the shipped default agreement applies. Activating a version records who
and when, and queues the re-evaluation of every lead under it (done by the online engine in
batches, with progress; see :meth:`OnlineEngine.reevaluate`).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import Connection

from leadpact.adapters.agreement_yaml import default_agreement, default_agreement_text, load_agreement_text
from leadpact.adapters.store.agreements_repo import ActivationRecord, AgreementRecord, AgreementsRepo
from leadpact.adapters.store.engine import Store
from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.agreement import Agreement

DEFAULT_SOURCE = "default_agreement.yaml"


class VersionConflictError(ValueError):
    """The version exists with different text (versions are immutable: bump ``version``)."""


class UnknownVersionError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class ActiveAgreement:
    agreement: Agreement
    record: AgreementRecord | None  # None: the shipped default
    activation: ActivationRecord | None


@dataclass(frozen=True, slots=True)
class ShippedDefault:
    """The default agreement that ships with leadpact, read like a stored version."""

    version: str
    name: str
    yaml_text: str


@dataclass(frozen=True, slots=True)
class Uploaded:
    record: AgreementRecord
    created: bool


class AgreementService:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._parsed: dict[int, Agreement] = {}
        self._default: Agreement | None = None
        self._lock = threading.Lock()

    def default(self) -> Agreement:
        """The shipped default agreement, parsed once."""
        with self._lock:
            if self._default is None:
                self._default = default_agreement()
            return self._default

    def parse(self, record: AgreementRecord) -> Agreement:
        with self._lock:
            agreement = self._parsed.get(record.id)
            if agreement is None:
                agreement = load_agreement_text(record.yaml_text, f"agreement {record.version}")
                self._parsed[record.id] = agreement
            return agreement

    def active_in(self, conn: Connection) -> ActiveAgreement:
        repo = AgreementsRepo(conn)
        activation = repo.latest_activation()
        if activation is None:
            return ActiveAgreement(self.default(), None, None)
        record = repo.by_version(activation.version)
        assert record is not None
        return ActiveAgreement(self.parse(record), record, activation)

    def active(self) -> ActiveAgreement:
        with self.store.read() as conn:
            return self.active_in(conn)

    def upload(self, yaml_text: str, source: str, by: str, now: int) -> Uploaded:
        """Validate and store a version (raises AgreementError, VersionConflictError)."""
        agreement = load_agreement_text(yaml_text, source)
        with self.store.write() as conn:
            repo = AgreementsRepo(conn)
            existing = repo.by_version(agreement.version)
            if existing is not None:
                if existing.yaml_text != yaml_text:
                    raise VersionConflictError(
                        f"{source}: version {agreement.version!r} already exists with different "
                        "content; versions are immutable, so change `version`"
                    )
                return Uploaded(existing, created=False)
            if agreement.version == self.default().version and yaml_text != default_agreement_text():
                # The shipped default is read and applied as this version (see lookup): another
                # text under its number would make two texts claim the same decisions.
                raise VersionConflictError(
                    f"{source}: version {agreement.version!r} is the shipped default agreement's; "
                    "versions are immutable, so change `version`"
                )
            record = repo.add(agreement.version, agreement.name, yaml_text, by, now)
        return Uploaded(record, created=True)

    def versions(self) -> list[AgreementRecord]:
        with self.store.read() as conn:
            return AgreementsRepo(conn).all()

    def activations(self) -> list[ActivationRecord]:
        with self.store.read() as conn:
            return AgreementsRepo(conn).activations()

    def get(self, version: str) -> AgreementRecord:
        with self.store.read() as conn:
            record = AgreementsRepo(conn).by_version(version)
        if record is None:
            raise UnknownVersionError(f"no agreement version {version!r}")
        return record

    def lookup(self, version: str) -> AgreementRecord | ShippedDefault:
        """A stored version, else the shipped default if ``version`` is its version and none
        stored has it: the default applies until a version is activated, so it can be read
        and rendered like one (UnknownVersionError otherwise)."""
        try:
            return self.get(version)
        except UnknownVersionError:
            default = self.default()
            if version == default.version:
                return ShippedDefault(default.version, default.name, default_agreement_text())
            raise

    def text_of(self, version: str) -> str:
        """The YAML of a stored version, or of the shipped default (see :meth:`lookup`)."""
        return self.lookup(version).yaml_text

    def activate(self, version: str, by: str, now: int) -> ActivationRecord:
        """Make ``version`` the active agreement; the engine then re-evaluates every lead."""
        with self.store.write() as conn:
            repo = AgreementsRepo(conn)
            record = repo.by_version(version)
            if record is None:
                raise UnknownVersionError(f"no agreement version {version!r}; upload it first")
            total = EventLog(conn).count_lead_ids()
            activation_id = repo.activate(record.id, by, now, total)
            activation = repo.activation(activation_id)
        assert activation is not None
        return activation

    def activation(self, activation_id: int) -> ActivationRecord | None:
        with self.store.read() as conn:
            return AgreementsRepo(conn).activation(activation_id)
