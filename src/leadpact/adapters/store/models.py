"""Every table, imported in one place so that ``Base.metadata`` is complete (Alembic reads it)."""

from __future__ import annotations

from leadpact.adapters.store.access_models import ApiKeyRow, UserRow, WriteKeyRow
from leadpact.adapters.store.agreement_models import ActivationRow, AgreementRow
from leadpact.adapters.store.base import Base
from leadpact.adapters.store.flow_models import FlowActivationRow, FlowVersionRow
from leadpact.adapters.store.lead_models import (
    AssignmentRow,
    LeadRow,
    NoteRow,
    RefusedActionRow,
    RoundRobinPendingRow,
    SlaClockRow,
    StageChangeRow,
)
from leadpact.adapters.store.log_models import (
    DirtyLeadRow,
    EventRow,
    IdentityRow,
    IngestCheckpointRow,
)
from leadpact.adapters.store.model_score_models import ModelScoreRow
from leadpact.adapters.store.notice_models import SlaNoticeRow, WebhookDeliveryRow
from leadpact.adapters.store.nurture_models import (
    NurtureLeadRow,
    NurtureMailRow,
    NurtureSuppressionRow,
    NurtureTickRow,
)

metadata = Base.metadata

__all__ = [
    "ActivationRow",
    "AgreementRow",
    "ApiKeyRow",
    "AssignmentRow",
    "Base",
    "DirtyLeadRow",
    "EventRow",
    "FlowActivationRow",
    "FlowVersionRow",
    "IdentityRow",
    "IngestCheckpointRow",
    "LeadRow",
    "ModelScoreRow",
    "NoteRow",
    "NurtureLeadRow",
    "NurtureMailRow",
    "NurtureSuppressionRow",
    "NurtureTickRow",
    "RefusedActionRow",
    "RoundRobinPendingRow",
    "SlaClockRow",
    "SlaNoticeRow",
    "StageChangeRow",
    "UserRow",
    "WebhookDeliveryRow",
    "WriteKeyRow",
    "metadata",
]
