"""Segment-compatible ingestion: ``/v1/identify|track|page|group|batch``.

The body is read raw (gzip, Segment's 32 KB / 500 KB limits) and each message validated whole,
on the event loop (it is quick); valid ones go to the ingest writer, which commits the batches
waiting together (:meth:`IngestService.submit`); invalid ones are listed with index and reason.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response

from leadpact.domain.messages import Message, MessageError
from leadpact.domain.timeutil import from_us
from leadpact.entrypoints.api.body import BodyError, parse_json, read_body
from leadpact.entrypoints.api.deps import authenticate, key_from_headers
from leadpact.entrypoints.api.errors import problem
from leadpact.entrypoints.api.schemas import (
    BATCH_SCHEMA,
    MESSAGE_SCHEMA,
    BatchProblem,
    IngestResponse,
    Problem,
    json_body,
)
from leadpact.service.auth import may_send_actions, require_ingest
from leadpact.service.container import Services
from leadpact.service.ingest import (
    MAX_BATCH_BYTES,
    MAX_MESSAGE_BYTES,
    Rejected,
    message_size,
    suspicious,
    validate,
)

router = APIRouter(prefix="/v1", tags=["ingestion (Segment-compatible)"])

_ERRORS: dict[int | str, dict[str, Any]] = {
    200: {"model": IngestResponse},
    400: {"model": Problem, "description": "Invalid JSON or message; `field` names the culprit."},
    401: {"model": Problem, "description": "No key, or an unknown one."},
    403: {"model": Problem, "description": "The key may not send events."},
    413: {"model": Problem, "description": "Over Segment's limits: 32 KB a message, 500 KB a batch."},
}


_SECURED: dict[str, Any] = {"security": [{"writeKey": []}, {"apiKey": []}]}


def _rejected_json(rejected: list[Rejected]) -> list[dict[str, Any]]:
    return [{"index": r.index, "field": r.field, "reason": r.reason} for r in rejected]


async def _handle(request: Request, expected_type: str | None) -> Response:
    """Ingestion is the hot path: no dependency injection here (it costs more than parsing a
    100-message batch); the key, services and clock are taken from the request directly."""
    services: Services = request.app.state.services
    now: int = request.app.state.clock.now_us()
    key = key_from_headers(request.headers.get("authorization"))
    # A key in the header is checked before the body is read (a wrong key is a 401 whatever
    # the body); a key given only as `writeKey` in the body can only be checked after parsing.
    who = None
    if key is not None:
        who = authenticate(request, key)
        require_ingest(who)
    limit = MAX_MESSAGE_BYTES if expected_type is not None else MAX_BATCH_BYTES
    raw = await read_body(request, limit)
    payload = parse_json(raw)
    if not isinstance(payload, dict):
        raise BodyError(400, "batch" if expected_type is None else "body", "expected a JSON object")
    if expected_type is None:
        items = payload.get("batch")
        if not isinstance(items, list):
            raise BodyError(400, "batch", "expected an object with a `batch` list of messages")
    else:
        items = [payload]
    if who is None:
        body_key = payload.get("writeKey")
        who = authenticate(request, body_key if isinstance(body_key, str) else None)
        require_ingest(who)
    received = from_us(now)
    deep = suspicious(raw)
    measure = len(raw) > MAX_MESSAGE_BYTES
    actions = may_send_actions(who)
    messages: list[Message] = []
    rejected: list[Rejected] = []
    for index, obj in enumerate(items):
        if measure and message_size(obj) > MAX_MESSAGE_BYTES:
            rejected.append(Rejected(index, "message", f"larger than {MAX_MESSAGE_BYTES // 1024} KB (Segment's limit)"))
            continue
        try:
            messages.append(
                validate(obj, default_timestamp=received, allow_actions=actions, deep=deep, expected_type=expected_type)
            )
        except MessageError as exc:
            rejected.append(Rejected(index, exc.field, exc.problem))
    if expected_type is not None and rejected:
        if rejected[0].field == "message":
            raise BodyError(413, "body", rejected[0].reason)
        raise MessageError(rejected[0].field, rejected[0].reason)
    if items and not messages:
        first = rejected[0]
        return problem(
            400,
            f"every message was rejected; batch[{first.index}].{first.field}: {first.reason}",
            f"batch[{first.index}].{first.field}",
            rejected=_rejected_json(rejected),
        )
    result = await asyncio.wrap_future(services.ingest.submit(messages, now))
    body = {
        "success": True,
        "accepted": len(messages),
        "stored": result.stored,
        "duplicates": result.duplicates,
        "rejected": _rejected_json(rejected),
    }
    return Response(orjson.dumps(body), media_type="application/json")


@router.post(
    "/batch",
    response_model=None,
    openapi_extra=json_body(BATCH_SCHEMA),
    responses={**_ERRORS, 400: {"model": BatchProblem, "description": "Malformed body, or every message invalid."}},
    summary="Send many messages (what Segment and RudderStack SDKs call)",
)
async def batch(request: Request) -> Response:
    """Store the valid messages of `batch`; the response lists each rejected one with its index
    and reason. The write key is the HTTP Basic user name (or `writeKey` in the body)."""
    return await _handle(request, None)


def _single(kind: str) -> Any:
    async def endpoint(request: Request) -> Response:
        return await _handle(request, kind)

    endpoint.__name__ = kind
    endpoint.__doc__ = f"Send one `{kind}` message (its `type` may be omitted)."
    return endpoint


for _kind in ("identify", "track", "page", "group"):
    router.post(
        f"/{_kind}",
        response_model=None,
        openapi_extra=json_body({**MESSAGE_SCHEMA}),
        responses=_ERRORS,
        summary=f"Send one {_kind} message",
    )(_single(_kind))
