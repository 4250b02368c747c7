"""Text the store can hold: every path and query parameter, and the text fields of JSON bodies.

PostgreSQL refuses NUL characters in text (psycopg raises, the request would answer 500) and
SQLite would store them silently; unpaired surrogates cannot be encoded at all. Ingestion
already rejects both naming the field (:func:`leadpact.service.ingest.text_problem`); the same
check guards the rest of the API, so a lead id, a filter or a note is refused alike on either
store (400 naming the parameter) before anything is read or written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Request
from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

from leadpact.service.ingest import text_problem


async def reject_unstorable_parameters(request: Request) -> None:
    """A router dependency: MessageError (400) naming the first path or query parameter whose
    value the store cannot hold, e.g. ``lead_id`` or ``owner``."""
    for name, value in (*request.path_params.items(), *request.query_params.multi_items()):
        problem = text_problem(value, name)
        if problem is not None:
            raise problem


def _storable(value: str) -> str:
    problem = text_problem(value, "")
    if problem is not None:  # raised as pydantic's own error, so ``field`` is the body field's path
        raise PydanticCustomError("unstorable_text", "{reason}", {"reason": problem.problem})
    return value


StorableText = Annotated[str, AfterValidator(_storable)]
"""A string field of a JSON body that is stored (a note, an idempotency key)."""
