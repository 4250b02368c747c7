"""SPEC §3 message validation: every message type parses into one shape; every bad message is
rejected whole with the field that is wrong, what was expected and what was found."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from factories import action, group, identify, messages, page, track, us

from leadpact.domain.messages import Message, MessageError, parse_message


def parsed(obj: dict[str, Any], **kwargs: Any) -> Message:
    return parse_message(obj, **kwargs)


def rejected(obj: Any, **kwargs: Any) -> MessageError:
    with pytest.raises(MessageError) as caught:
        parse_message(obj, **kwargs)
    return caught.value


# --- every type -------------------------------------------------------------------------------


def test_identify_carries_traits_and_both_ids() -> None:
    msg = parsed(identify("u1", anonymous="a1", traits={"email": "t@x.example", "employees": 50}))
    assert (msg.type, msg.user_id, msg.anonymous_id) == ("identify", "u1", "a1")
    assert dict(msg.traits) == {"email": "t@x.example", "employees": 50}
    assert msg.ts == us("2026-01-05T10:00:00+09:00")


def test_track_carries_event_and_properties() -> None:
    msg = parsed(track("Whitepaper Downloaded", properties={"title": "DX guide"}))
    assert (msg.type, msg.event) == ("track", "Whitepaper Downloaded")
    assert dict(msg.properties) == {"title": "DX guide"}


def test_page_carries_path_and_name() -> None:
    msg = parsed(page("/pricing", name="Pricing"))
    assert (msg.type, msg.path, msg.name) == ("page", "/pricing", "Pricing")


def test_page_url_gives_its_path() -> None:
    obj = page("/unused")
    obj["properties"] = {"url": "https://www.example.co.jp/case-studies/acme?utm_source=mail#story"}
    assert parsed(obj).path == "/case-studies/acme"


def test_page_path_wins_over_url() -> None:
    obj = page("/pricing", properties={"url": "https://www.example.co.jp/blog/post"})
    assert parsed(obj).path == "/pricing"


def test_group_carries_group_id_and_company_traits() -> None:
    msg = parsed(group("acme", traits={"industry": "software", "employees": 1200}))
    assert (msg.type, msg.group_id) == ("group", "acme")
    assert dict(msg.traits) == {"industry": "software", "employees": 1200}


def test_action_carries_action_actor_and_properties() -> None:
    msg = parsed(action("reject", role="inside_sales", actor="is_sato", reason="no budget this year"))
    assert (msg.type, msg.action, msg.actor_id, msg.actor_role) == ("action", "reject", "is_sato", "inside_sales")
    assert msg.reason == "no budget this year"


def test_confirm_bant_items_are_kept() -> None:
    msg = parsed(action("confirm_bant", items=["budget", "need"]))
    assert list(msg.properties["items"]) == ["budget", "need"]


def test_create_sgl_carries_the_new_lead_traits() -> None:
    msg = parsed(action("create_sgl", traits={"name": "佐藤 一郎", "employees": 800}))
    assert dict(msg.traits) == {"name": "佐藤 一郎", "employees": 800}


def test_anonymous_message_needs_no_user_id() -> None:
    msg = parsed(page("/", user=None, anonymous="a1"))
    assert (msg.user_id, msg.anonymous_id) == (None, "a1")


def test_seq_is_the_arrival_order_given_by_the_reader() -> None:
    assert parsed(page("/"), seq=17).seq == 17


# --- traits at root and in context ----------------------------------------------------------


def test_context_traits_are_used_when_there_are_no_root_traits() -> None:
    obj = identify(traits={})
    del obj["traits"]
    obj["context"] = {"traits": {"email": "a@b.example"}}
    assert dict(parsed(obj).traits) == {"email": "a@b.example"}


def test_root_traits_win_over_context_traits_per_trait() -> None:
    obj = identify(traits={"title": "CTO"})
    obj["context"] = {"traits": {"title": "Engineer", "email": "a@b.example"}}
    assert dict(parsed(obj).traits) == {"title": "CTO", "email": "a@b.example"}


# --- timestamps -------------------------------------------------------------------------------


def test_z_timestamp_is_utc() -> None:
    msg = parsed(page("/", at="2026-01-09T06:00:00Z"))
    assert msg.ts == us("2026-01-09T15:00:00+09:00")


def test_offsets_denote_the_same_instant() -> None:
    assert parsed(page("/", at="2026-01-09T15:00:00+09:00")).ts == parsed(page("/", at="2026-01-09T06:00:00+00:00")).ts


def test_microseconds_are_kept_exactly() -> None:
    assert parsed(page("/", at="2026-01-09T15:00:00.000001+09:00")).ts == us("2026-01-09T15:00:00+09:00") + 1


def test_timestamp_without_offset_is_rejected() -> None:
    error = rejected(page("/", at="2026-01-09T15:00:00"))
    assert error.field == "timestamp"
    assert "offset" in error.problem
    assert "2026-01-09T15:00:00" in error.problem


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01T00:00:00+09:00", ""])
def test_unreadable_timestamp_is_rejected(bad: str) -> None:
    assert rejected(page("/", at=bad)).field == "timestamp"


def test_non_string_timestamp_is_rejected() -> None:
    obj = page("/")
    obj["timestamp"] = 1767938400
    error = rejected(obj)
    assert error.field == "timestamp"
    assert "number" in error.problem


def test_missing_timestamp_is_rejected_for_files() -> None:
    obj = page("/")
    del obj["timestamp"]
    assert rejected(obj).field == "timestamp"


def test_missing_timestamp_takes_the_receive_time_when_given() -> None:
    obj = page("/")
    del obj["timestamp"]
    received = datetime(2026, 1, 9, 6, 0, tzinfo=UTC)
    assert parsed(obj, default_timestamp=received).ts == us("2026-01-09T15:00:00+09:00")


# --- structure --------------------------------------------------------------------------------


@pytest.mark.parametrize("not_an_object", [[], "page", 3, None])
def test_message_must_be_an_object(not_an_object: Any) -> None:
    assert rejected(not_an_object).field == "message"


@pytest.mark.parametrize("kind", ["screen", "alias", "", None, "Track"])
def test_unknown_type_is_rejected(kind: Any) -> None:
    obj = track("Email Opened")
    obj["type"] = kind
    error = rejected(obj)
    assert error.field == "type"
    assert "identify" in error.problem and "action" in error.problem


def test_missing_message_id_is_rejected() -> None:
    obj = track("Email Opened")
    del obj["messageId"]
    assert rejected(obj).field == "messageId"


def test_message_without_user_id_or_anonymous_id_is_rejected() -> None:
    obj = track("Email Opened")
    del obj["userId"]
    error = rejected(obj)
    assert error.field == "userId"
    assert "anonymousId" in error.problem


def test_empty_user_id_is_rejected() -> None:
    obj = track("Email Opened")
    obj["userId"] = ""
    assert rejected(obj).field == "userId"


def test_track_without_event_is_rejected() -> None:
    obj = track("Email Opened")
    del obj["event"]
    assert rejected(obj).field == "event"


def test_group_without_group_id_is_rejected() -> None:
    obj = group("acme")
    del obj["groupId"]
    assert rejected(obj).field == "groupId"


def test_traits_that_are_not_an_object_are_rejected() -> None:
    obj = identify()
    obj["traits"] = ["email", "a@b.example"]
    error = rejected(obj)
    assert error.field == "traits"
    assert "object" in error.problem and "list" in error.problem


def test_context_traits_that_are_not_an_object_are_rejected() -> None:
    obj = identify()
    obj["context"] = {"traits": "a@b.example"}
    assert rejected(obj).field == "context.traits"


def test_properties_that_are_not_an_object_are_rejected() -> None:
    obj = track("Email Opened")
    obj["properties"] = "x"
    assert rejected(obj).field == "properties"


def test_page_path_that_is_not_a_string_is_rejected() -> None:
    obj = page("/")
    obj["properties"] = {"path": 3}
    assert rejected(obj).field == "properties.path"


def test_bant_items_that_are_not_a_list_are_rejected() -> None:
    obj = action("confirm_bant")
    obj["properties"] = {"items": "budget"}
    error = rejected(obj)
    assert error.field == "properties.items"
    assert "list" in error.problem


def test_action_without_actor_is_rejected() -> None:
    obj = action("accept")
    del obj["actor"]
    assert rejected(obj).field == "actor"


def test_action_without_actor_role_is_rejected() -> None:
    obj = action("accept")
    obj["actor"] = {"id": "is_sato"}
    assert rejected(obj).field == "actor.role"


def test_action_with_unknown_role_is_rejected() -> None:
    obj = action("accept")
    obj["actor"] = {"id": "boss", "role": "ceo"}
    error = rejected(obj)
    assert error.field == "actor.role"
    assert "inside_sales" in error.problem


def test_unknown_action_is_rejected() -> None:
    obj = action("accept")
    obj["action"] = "promote"
    error = rejected(obj)
    assert error.field == "action"
    assert "promote" in error.problem
    assert "create_sgl" in error.problem


def test_action_must_name_its_lead_by_user_id() -> None:
    obj = action("accept")
    del obj["userId"]
    obj["anonymousId"] = "a1"
    assert rejected(obj).field == "userId"


def test_error_names_field_expected_and_found() -> None:
    obj = identify()
    obj["traits"] = "vip"
    error = rejected(obj)
    assert str(error) == f"traits: {error.problem}"
    assert "expected an object" in error.problem
    assert "'vip'" in error.problem


@pytest.mark.parametrize(
    "moment",
    ["0001-01-01T00:00:00+14:00", "1899-12-31T23:59:59.999999Z", "9000-01-01T00:00:00Z", "9999-12-31T23:59:59-12:00"],
)
def test_a_timestamp_outside_the_supported_range_is_rejected_naming_it(moment: str) -> None:
    error = rejected(page("/", at=moment))
    assert error.field == "timestamp"
    assert error.problem == f"{moment!r} is outside the supported range, from 1900-01-01 to 9000-01-01 (UTC)"


@pytest.mark.parametrize("moment", ["1900-01-01T00:00:00Z", "8999-12-31T23:59:59.999999Z"])
def test_the_ends_of_the_supported_range_are_accepted(moment: str) -> None:
    assert messages(page("/", at=moment))[0].ts == us(moment)


def test_an_offset_of_a_day_or_more_is_named_in_plain_words() -> None:
    error = rejected(page("/", at="2026-01-09T15:00:00+24:00"))
    assert error.field == "timestamp"
    assert error.problem.endswith("(the UTC offset must be between -23:59 and +23:59)")
