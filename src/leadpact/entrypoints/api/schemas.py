"""Request and response shapes (they are the OpenAPI document at /docs)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from leadpact.domain.messages import ACTIONS
from leadpact.entrypoints.api.storable import StorableText
from leadpact.service.ingest import MAX_ID_LENGTH

# --- errors -------------------------------------------------------------------------------


class Problem(BaseModel):
    detail: str = Field(description="What is wrong, for a person.")
    field: str | None = Field(None, description="The field path at fault, e.g. `timestamp`, `batch[3].userId`.")


class RejectedMessage(BaseModel):
    index: int = Field(description="Position of the message in `batch`.")
    field: str
    reason: str


class BatchProblem(Problem):
    rejected: list[RejectedMessage] = []


class AgreementIssue(BaseModel):
    path: str
    line: int | None
    message: str


class AgreementProblems(Problem):
    problems: list[AgreementIssue] = []


# --- ingestion ----------------------------------------------------------------------------

_ANY_OBJECT: dict[str, Any] = {"type": "object", "additionalProperties": True}
MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A Segment-spec message (SPEC §3). `traits` may also be sent under `context.traits`.",
    "properties": {
        "type": {"type": "string", "enum": ["identify", "track", "page", "group"]},
        "messageId": {"type": "string", "maxLength": 255, "description": "Unique; repeats are ignored."},
        "userId": {"type": "string", "maxLength": 255},
        "anonymousId": {"type": "string", "maxLength": 255},
        "timestamp": {
            "type": "string",
            "format": "date-time",
            "description": "ISO 8601 with offset; default: receive time.",
        },
        "traits": _ANY_OBJECT,
        "context": _ANY_OBJECT,
        "event": {"type": "string"},
        "name": {"type": "string"},
        "properties": _ANY_OBJECT,
        "groupId": {"type": "string", "maxLength": 255},
        "writeKey": {"type": "string"},
    },
    "required": ["messageId"],
}
BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "batch": {"type": "array", "items": MESSAGE_SCHEMA},
        "writeKey": {"type": "string"},
        "sentAt": {"type": "string", "format": "date-time"},
        "context": _ANY_OBJECT,
    },
    "required": ["batch"],
}


def json_body(schema: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` documenting a body the route reads itself (gzip, size limits)."""
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": schema}}}}


class IngestResponse(BaseModel):
    success: bool = True
    accepted: int = Field(description="Valid messages in the request.")
    stored: int = Field(description="Messages new to the log (accepted minus repeats).")
    duplicates: int = Field(description="Messages whose messageId was already stored: ignored.")
    rejected: list[RejectedMessage] = []


# --- leads --------------------------------------------------------------------------------


class Actor(BaseModel):
    id: str
    role: str


class ReasonOut(BaseModel):
    rule: str
    kind: str
    count: int
    points: float
    decayed_points: float


class StageChangeOut(BaseModel):
    stage: str
    from_stage: str | None
    at: str
    cause: str
    fast_track: bool
    actor: Actor
    agreement_version: str
    reason: str | None


class SlaClockOut(BaseModel):
    id: str
    owner: str
    status: Literal["running", "met", "breached", "cancelled"]
    started_at: str
    deadline: str
    stopped_at: str | None
    overdue_seconds: int = Field(description="How late a clock still running past its deadline is.")


class RefusedActionOut(BaseModel):
    message_id: str
    action: str
    at: str
    actor: Actor
    reason: str


class AssignmentOut(BaseModel):
    at: str
    team: str | None
    owner: str | None
    cause: str
    actor: Actor


class NoteOut(BaseModel):
    id: int
    author: str
    author_role: str
    body: str
    created_at: str


class Handoff(BaseModel):
    profile: dict[str, Any]
    company: dict[str, Any]
    activities: list[dict[str, Any]] = Field(description="Events that earn engagement points now, newest first.")
    bant: dict[str, bool]
    notes: list[NoteOut]
    qualification: list[dict[str, Any]] = Field(
        description="Why the lead reached MQL / SQL: criterion and figures then."
    )


class FactorOut(BaseModel):
    feature: str
    value: str
    effect: float = Field(description="Change in log-odds against a typical value.")


class ModelScoreOut(BaseModel):
    score: float = Field(description="The predictive model's probability of reaching `target`, 0..1.")
    model: str = Field(description="Which fit produced it, e.g. `hgb-3f9a1c2b7d4e`.")
    target: str = Field(description="`customer` or `sql`.")
    computed_at: str
    top_positive: list[FactorOut]
    top_negative: list[FactorOut]


class LeadDetail(BaseModel):
    lead_id: str
    stage: str
    score: float
    fit: float
    engagement: float
    hot: bool
    owner: str | None
    origin: str
    as_of: str
    agreement_version: str
    created_at: str
    last_event_at: str | None
    traits: dict[str, Any]
    company: dict[str, Any]
    bant: list[str]
    reasons: list[ReasonOut]
    history: list[StageChangeOut]
    sla: list[SlaClockOut]
    errors: list[RefusedActionOut]
    assignments: list[AssignmentOut]
    model_score: ModelScoreOut | None = Field(
        None, description="Stored by `leadpact calibrate --store`, beside the rule `score`; null when none."
    )
    handoff: Handoff


class LeadSummary(BaseModel):
    lead_id: str
    stage: str
    score: float
    fit: float
    engagement: float
    hot: bool
    owner: str | None
    origin: str
    created_at: str
    last_event_at: str
    next_sla_deadline: str | None
    overdue: bool
    agreement_version: str


class LeadPage(BaseModel):
    items: list[LeadSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last page.")


class ActionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    action: Literal[ACTIONS]  # type: ignore[valid-type]
    properties: dict[str, Any] = Field(
        default_factory=dict, description="`reason`, `owner` (assign), `items` (confirm_bant)."
    )
    traits: dict[str, Any] = Field(default_factory=dict, description="Traits of a new lead (create_sgl only).")
    message_id: StorableText | None = Field(
        None, alias="messageId", min_length=1, max_length=MAX_ID_LENGTH, description="Idempotency key for retries."
    )


class ActionResponse(BaseModel):
    message_id: str
    stored: bool = Field(description="False when this messageId was already recorded (a retry).")
    lead: LeadDetail


class NoteRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    body: StorableText = Field(min_length=1, max_length=10_000)


class OverdueItem(BaseModel):
    lead_id: str
    sla_id: str
    department: str
    lead_owner: str | None
    stage: str
    started_at: str
    deadline: str
    overdue_seconds: int


class OverduePage(BaseModel):
    items: list[OverdueItem]
    next_cursor: str | None


# --- agreements ---------------------------------------------------------------------------


class ActivationOut(BaseModel):
    id: int
    version: str
    activated_by: str
    activated_at: str
    leads_total: int
    leads_done: int
    finished_at: str | None


class AgreementOut(BaseModel):
    version: str
    name: str
    uploaded_by: str
    uploaded_at: str
    active: bool


class AgreementList(BaseModel):
    active_version: str
    default_in_use: bool = Field(description="True until a version is activated: the shipped default applies.")
    items: list[AgreementOut]
    activations: list[ActivationOut]


class AgreementDetail(BaseModel):
    """A stored version, or the shipped default (which applies until a version is activated)."""

    version: str
    name: str
    uploaded_by: str | None = Field(description="Null for the shipped default: it was never uploaded.")
    uploaded_at: str | None = Field(description="Null for the shipped default.")
    active: bool
    shipped_default: bool = Field(description="True for the default agreement that ships with leadpact.")
    yaml: str


class UploadResponse(BaseModel):
    version: str
    name: str
    created: bool = Field(description="False when this exact version was already stored.")


class StatusOut(BaseModel):
    pending_evaluation: int = Field(description="Leads with events not yet reflected in stored state.")
    leads: int
    active_agreement: str
    activation: ActivationOut | None
