"""POST JSON to a webhook (Slack incoming webhooks and anything compatible)."""

from __future__ import annotations

from typing import Any

import httpx


class WebhookError(Exception):
    pass


def post_json(url: str, payload: dict[str, Any], timeout: float) -> None:
    """Deliver ``payload``; raises WebhookError unless the receiver answers 2xx."""
    try:
        response = httpx.post(url, json=payload, timeout=timeout)
    except httpx.HTTPError as exc:
        raise WebhookError(f"{type(exc).__name__}: {exc}") from exc
    if not 200 <= response.status_code < 300:
        raise WebhookError(f"HTTP {response.status_code}: {response.text[:200]}")
