"""Segment-compatible ingestion over HTTP: validation, limits, gzip, keys."""

from __future__ import annotations

import gzip
import json
from typing import Any

import httpx
import pytest
from api_server import Server

TS = "2026-02-02T10:00:00+09:00"
AS_OF = {"as_of": "2026-02-03T00:00:00+09:00"}  # reads as of a fixed time: no decay by "now"


def _msg(**fields: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "messageId": fields.pop("messageId", f"m-{id(fields)}"),
        "userId": "http-1",
        "event": "Email Opened",
        "timestamp": TS,
        **fields,
    }


def _status(server: Server, lead: str) -> int:
    with server.client("viewer") as client:
        return client.get(f"/v1/leads/{lead}").status_code


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b'{"batch": [', "body"),
        (b"[1, 2]", "batch"),
        (b'{"batch": "no"}', "batch"),
        (b"", "body"),
        (b'{"batch": [{"type": "track", "messageId": "a", "userId": "x", "event": "E", "timestamp": NaN}]}', "body"),
    ],
)
def test_malformed_bodies_are_rejected_naming_the_field(server: Server, body: bytes, field: str) -> None:
    with server.writer() as client:
        response = client.post("/v1/batch", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["field"] == field


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"type": "track", "userId": "bad-1", "event": "E", "timestamp": TS}, "messageId"),
        ({"type": "track", "messageId": "b2", "event": "E", "timestamp": TS}, "userId"),
        ({"type": "tracks", "messageId": "b3", "userId": "bad-3", "timestamp": TS}, "type"),
        (
            {"type": "track", "messageId": "b4", "userId": "bad-4", "event": "E", "timestamp": "2026-02-02T10:00:00"},
            "timestamp",
        ),
        ({"type": "track", "messageId": "b5", "userId": "bad-5", "event": ["E"], "timestamp": TS}, "event"),
        ({"type": "identify", "messageId": "b6", "userId": "bad-6", "traits": "director", "timestamp": TS}, "traits"),
    ],
)
def test_an_invalid_message_is_rejected_with_its_field_and_nothing_is_stored(
    server: Server, message: dict[str, Any], field: str
) -> None:
    kind = message["type"] if message["type"] in ("track", "identify") else "track"
    with server.writer() as client:
        single = client.post(f"/v1/{kind}", json=message)
        batch = client.post("/v1/batch", json={"batch": [message]})
    assert single.status_code == 400 and single.json()["field"] == field
    assert batch.status_code == 400 and batch.json()["rejected"] == [
        {"index": 0, "field": field, "reason": batch.json()["rejected"][0]["reason"]}
    ]
    lead = message.get("userId")
    if lead:
        server.settle()
        assert _status(server, str(lead)) == 404


def test_a_batch_stores_the_valid_messages_and_lists_the_rejected_ones(server: Server) -> None:
    batch = [
        _msg(messageId="p-1", userId="part-1", type="identify", traits={"job_level": "director"}),
        _msg(messageId="p-2", userId="part-1", timestamp="yesterday"),
        _msg(messageId="p-3", userId="part-1", event="Webinar Attended"),
        {"type": "page", "messageId": "p-4"},
    ]
    with server.writer() as client:
        response = client.post("/v1/batch", json={"batch": batch})
    body = response.json()
    assert response.status_code == 200
    assert (body["accepted"], body["stored"]) == (2, 2)
    assert [(r["index"], r["field"]) for r in body["rejected"]] == [(1, "timestamp"), (3, "userId")]
    server.settle()
    with server.client("viewer") as client:
        assert client.get("/v1/leads/part-1", params=AS_OF).json()["engagement"] == 20.0


def test_repeated_message_ids_are_accepted_and_not_double_counted(server: Server) -> None:
    batch = [
        _msg(messageId="dup-1", userId="dup", type="identify", traits={"job_level": "staff"}),
        _msg(messageId="dup-2", userId="dup", event="Webinar Attended"),
    ]
    with server.writer() as client:
        first = client.post("/v1/batch", json={"batch": batch}).json()
        again = client.post("/v1/batch", json={"batch": batch + batch}).json()
    assert (first["stored"], first["duplicates"]) == (2, 0)
    assert (again["stored"], again["duplicates"]) == (0, 4)
    server.settle()
    with server.client("viewer") as client:
        assert client.get("/v1/leads/dup", params=AS_OF).json()["engagement"] == 20.0


def test_gzip_bodies_and_write_key_in_the_body_are_understood(server: Server) -> None:
    payload = {
        "writeKey": server.keys["write"],
        "batch": [
            _msg(messageId="gz-1", userId="gz", type="identify", context={"traits": {"job_level": "executive"}}),
        ],
    }
    response = httpx.post(
        f"{server.url}/v1/batch",
        content=gzip.compress(json.dumps(payload).encode()),
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )
    assert response.status_code == 200 and response.json()["stored"] == 1
    server.settle()
    with server.client("viewer") as client:
        assert client.get("/v1/leads/gz", params=AS_OF).json()["traits"] == {"job_level": "executive"}


def _gzip_post(server: Server, body: bytes) -> httpx.Response:
    return httpx.post(
        f"{server.url}/v1/batch",
        content=body,
        auth=(server.keys["write"], ""),
        headers={"content-encoding": "gzip", "content-type": "application/json"},
    )


def test_a_gzip_body_is_read_to_its_end_and_every_member_counts(server: Server) -> None:
    """RFC 1952 allows several members (gzip.decompress reads them all); a body cut before its
    CRC trailer, or with bytes after the stream, is refused instead of half-trusted."""
    text = json.dumps({"batch": [_msg(messageId="gzm-1", userId="gzm", event="Webinar Attended")]}).encode()
    whole = gzip.compress(text)
    half = len(text) // 2
    two_members = gzip.compress(text[:half]) + gzip.compress(text[half:])
    assert _gzip_post(server, two_members).json()["stored"] == 1
    for body, reason in (
        (whole[:-8], "truncated body"),
        (whole + b"GARBAGE", "7 byte(s) after the end of the stream"),
    ):
        response = _gzip_post(server, body)
        assert (response.status_code, response.json()["field"]) == (400, "body")
        assert reason in response.json()["detail"]


def test_single_message_endpoints_take_their_type_from_the_path(server: Server) -> None:
    with server.writer() as client:
        ok = client.post(
            "/v1/identify", json={"messageId": "s-1", "userId": "single", "traits": {"job_level": "staff"}}
        )
        wrong = client.post("/v1/page", json={"type": "track", "messageId": "s-2", "userId": "single", "event": "E"})
    assert ok.status_code == 200 and ok.json()["stored"] == 1
    assert wrong.status_code == 400 and wrong.json()["field"] == "type"


def test_segment_size_limits_answer_413_with_the_reason(server: Server) -> None:
    big = "x" * (33 * 1024)
    with server.writer() as client:
        single = client.post("/v1/track", json=_msg(messageId="big-1", properties={"blob": big}))
        batch = client.post(
            "/v1/batch", json={"batch": [_msg(messageId=f"big-{i}", properties={"b": "y" * 30_000}) for i in range(20)]}
        )
        mixed = client.post(
            "/v1/batch",
            json={
                "batch": [_msg(messageId="big-ok", userId="sizes"), _msg(messageId="big-2", properties={"blob": big})]
            },
        )
        bomb = client.post(
            "/v1/batch",
            content=gzip.compress(b'{"batch": [' + b" " * 2_000_000 + b"]}"),
            headers={"content-encoding": "gzip"},
        )
    assert single.status_code == 413 and "32 KB" in single.json()["detail"]
    assert batch.status_code == 413 and "500 KB" in batch.json()["detail"]
    assert bomb.status_code == 413
    assert mixed.status_code == 200 and mixed.json()["rejected"][0]["index"] == 1


def test_keys_decide_who_may_send_and_read(server: Server) -> None:
    message = {"batch": [_msg(messageId="auth-1", userId="auth")]}
    assert httpx.post(f"{server.url}/v1/batch", json=message).status_code == 401
    assert httpx.post(f"{server.url}/v1/batch", json=message, auth=("lpw_unknown", "")).status_code == 401
    # A key in the header is judged before the body: a wrong key is a 401 whatever follows.
    for body in (b"{not json", b"x" * 600_000):
        refused = httpx.post(f"{server.url}/v1/batch", content=body, auth=("lpw_unknown", ""))
        assert refused.status_code == 401, refused.text
    with server.client("viewer") as viewer:
        assert viewer.post("/v1/batch", content=b"{not json").status_code == 403
        assert viewer.post("/v1/batch", json=message).status_code == 403
    with server.writer() as writer:
        assert writer.get("/v1/leads").status_code == 403
        assert writer.get("/v1/leads/auth").status_code == 403
    assert httpx.get(f"{server.url}/v1/leads").status_code == 401
    action = {
        "batch": [
            {
                "type": "action",
                "messageId": "auth-2",
                "userId": "auth",
                "action": "accept",
                "actor": {"id": "x", "role": "admin"},
                "timestamp": TS,
            }
        ]
    }
    with server.writer() as writer:
        forged = writer.post("/v1/batch", json=action)
    assert forged.status_code == 400 and forged.json()["rejected"][0]["field"] == "type"
