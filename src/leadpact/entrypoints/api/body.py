"""Request bodies as Segment sends them: JSON, maybe gzipped, within Segment's size limits.

Sizes are enforced while reading (never buffering more than the limit) and again after
decompression, so neither a large upload nor a small gzip bomb gets through.
"""

from __future__ import annotations

import json
import zlib
from typing import Any, Final

from starlette.requests import Request

from leadpact.adapters import fastjson
from leadpact.service.ingest import text_problem

YAML_UPLOAD_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/yaml": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {"type": "object", "properties": {"yaml": {"type": "string"}}, "required": ["yaml"]}
            },
        },
    }
}
"""OpenAPI for the uploads of agreements and flows: the YAML itself, or JSON ``{"yaml": ...}``
(the routes read the body themselves, so FastAPI cannot infer it)."""


class BodyError(Exception):
    """A body the API will not read: ``status`` 400, 413 or 415, naming ``field``."""

    def __init__(self, status: int, field: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.field = field
        self.message = message


def _too_large(limit: int, what: str) -> BodyError:
    return BodyError(413, "body", f"{what} is larger than {limit // 1024} KB (Segment's limit for this endpoint)")


async def read_body(request: Request, limit: int) -> bytes:
    """The body's bytes, inflated if ``Content-Encoding: gzip``; BodyError(413) beyond ``limit``."""
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, "the request body")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise _too_large(limit, "the request body")
        chunks.append(chunk)
    raw = b"".join(chunks)
    encoding = request.headers.get("content-encoding", "identity").strip().lower()
    if encoding in ("", "identity"):
        return raw
    if encoding != "gzip":
        raise BodyError(415, "Content-Encoding", f"expected gzip or identity, found {encoding!r}")
    return _gunzip(raw, limit)


def _gunzip(raw: bytes, limit: int) -> bytes:
    """Every member of a gzip body (RFC 1952 allows several, as ``gzip.decompress`` reads),
    each checked to its end (CRC and size); nothing may follow the last one."""
    parts: list[bytes] = []
    size = 0
    rest = raw
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = inflater.decompress(rest, limit + 1 - size)
        except zlib.error as exc:
            raise BodyError(400, "body", f"invalid gzip data ({exc})") from None
        size += len(data)
        if size > limit or inflater.unconsumed_tail:
            raise _too_large(limit, "the inflated request body")
        parts.append(data)
        if not inflater.eof:
            raise BodyError(400, "body", "invalid gzip data (the stream ends before its end: truncated body)")
        rest = inflater.unused_data
        if not rest:
            return b"".join(parts)
        if not rest.startswith(b"\x1f\x8b"):
            raise BodyError(400, "body", f"invalid gzip data ({len(rest)} byte(s) after the end of the stream)")


def parse_json(raw: bytes) -> Any:
    """Strict JSON (no NaN/Infinity, UTF-8); BodyError(400) naming the position if malformed."""
    if not raw.strip():
        raise BodyError(400, "body", "expected a JSON object, found an empty body")
    try:
        return fastjson.loads(raw)
    except UnicodeDecodeError as exc:
        raise BodyError(400, "body", f"expected UTF-8 JSON, found invalid byte at position {exc.start}") from None
    except json.JSONDecodeError as exc:
        raise BodyError(400, "body", f"malformed JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except (ValueError, RecursionError) as exc:
        raise BodyError(400, "body", f"malformed JSON: {exc}") from None


async def read_yaml_upload(request: Request, limit: int, what: str) -> str:
    """The YAML text of an upload: the body itself, or JSON ``{"yaml": ...}`` (see
    :data:`YAML_UPLOAD_BODY`); ``what`` names the document in the error ("the flow's")."""
    raw = await read_body(request, limit)
    field = "body"
    if "json" in request.headers.get("content-type", ""):
        payload = parse_json(raw)
        if not isinstance(payload, dict) or not isinstance(payload.get("yaml"), str):
            raise BodyError(400, "yaml", f"expected an object with {what} YAML text in `yaml`")
        text: str = payload["yaml"]
        field = "yaml"
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise BodyError(400, "body", "expected UTF-8 YAML text") from None
    unstorable = text_problem(text, field)  # the text is stored as sent
    if unstorable is not None:
        raise unstorable
    return text
