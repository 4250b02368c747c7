"""Server-side sessions: signed ids, expiry, renewal at sign-in, CSRF, sign-in throttling."""

from __future__ import annotations

from leadpact.entrypoints.web.sessions import SessionStore, csrf_matches


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_cookie_loads_its_session_and_a_tampered_one_does_not() -> None:
    store = SessionStore(b"k" * 32)
    session = store.new()
    cookie = store.cookie_value(session)
    assert store.load(cookie) is session
    session_id, signature = cookie.split(".")
    assert store.load(f"{session_id}.{signature[:-1]}x") is None
    assert store.load(f"{session_id}x.{signature}") is None
    assert store.load(session_id) is None
    assert store.load(None) is None
    assert SessionStore(b"o" * 32).load(cookie) is None, "another server's secret"


def test_sessions_end_after_idle_time_and_maximum_age() -> None:
    clock = Clock()
    store = SessionStore(idle_seconds=60, max_age_seconds=300, monotonic=clock)
    session = store.new()
    cookie = store.cookie_value(session)
    for _ in range(5):
        clock.now += 50
        assert store.load(cookie) is session, "each request keeps it alive"
    clock.now += 51
    assert store.load(cookie) is None, "past the maximum age"
    other = store.new()
    clock.now += 61
    assert store.load(store.cookie_value(other)) is None, "idle too long"


def test_renewal_gives_a_new_id_and_csrf_token_and_drops_the_old_one() -> None:
    store = SessionStore()
    before = store.new()
    before.lang = "en"
    after = store.renew(before)
    assert after.id != before.id
    assert after.csrf != before.csrf
    assert after.lang == "en"
    assert store.load(store.cookie_value(before)) is None


def test_csrf_token_must_match_exactly() -> None:
    session = SessionStore().new()
    assert csrf_matches(session, session.csrf)
    assert not csrf_matches(session, None)
    assert not csrf_matches(session, session.csrf + "x")
    assert not csrf_matches(session, "é" + session.csrf[1:])


def test_the_oldest_sessions_go_beyond_the_cap() -> None:
    store = SessionStore(max_sessions=3)
    first = store.new()
    for _ in range(3):
        store.new()
    assert len(store) == 3
    assert store.load(store.cookie_value(first)) is None


def test_failed_sign_ins_are_limited_per_address() -> None:
    clock = Clock()
    store = SessionStore(monotonic=clock)
    for _ in range(10):
        assert store.may_try("10.0.0.1")
        store.failed("10.0.0.1")
    assert not store.may_try("10.0.0.1")
    assert store.may_try("10.0.0.2")
    clock.now += 301
    assert store.may_try("10.0.0.1")
