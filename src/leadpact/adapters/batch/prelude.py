"""The global steps before any lead can be replayed, as SQL both DuckDB and Spark SQL run.

``replay`` drops duplicate ``messageId`` (the first arrival wins), keeps what happened by
``as_of``, and links anonymous ids to user ids (the earliest link wins). These need the whole
log, so they run once, on the whole table, before leads are split into buckets. The same SQL
text runs on both engines, so there is one definition of each step.
"""

from __future__ import annotations

from collections.abc import Sequence


def later_copies_sql(events: str) -> str:
    """``seq`` of every later copy of a ``message_id`` (usually none, so only duplicated ids
    are ranked)."""
    return (
        "SELECT seq FROM (SELECT seq, row_number() OVER (PARTITION BY message_id ORDER BY seq) AS copy"
        f" FROM {events} WHERE message_id IN (SELECT message_id FROM {events} GROUP BY message_id"
        " HAVING count(*) > 1)) d WHERE copy > 1"
    )


def newest_sql(events: str, later_copies: str) -> str:
    """The newest timestamp of the messages that count (a later copy of a ``message_id`` is
    ignored, its timestamp too): the default evaluation time."""
    return f"SELECT max(ts) FROM {events} WHERE seq NOT IN (SELECT seq FROM {later_copies})"


def kept_sql(events: str, later_copies: str, as_of: int, columns: Sequence[str]) -> str:
    """Each message once (its first arrival), if it happened by ``as_of``."""
    return (
        f"SELECT {', '.join(columns)} FROM {events}"
        f" WHERE ts <= {int(as_of)} AND seq NOT IN (SELECT seq FROM {later_copies})"
    )


def links_sql(kept: str) -> str:
    """anonymousId → userId from messages carrying both; the earliest (ts, seq) wins."""
    return (
        "SELECT anonymous_id, user_id FROM (SELECT anonymous_id, user_id,"
        " row_number() OVER (PARTITION BY anonymous_id ORDER BY ts, seq) AS link_rank"
        f" FROM {kept} WHERE anonymous_id IS NOT NULL AND user_id IS NOT NULL) l WHERE link_rank = 1"
    )


def placed_sql(kept: str, links: str, columns: Sequence[str]) -> str:
    """Every kept message under its lead id (NULL for anonymous messages never linked)."""
    selected = ", ".join(f"k.{name}" for name in columns)
    return (
        f"SELECT coalesce(k.user_id, l.user_id) AS lead_id, {selected}"
        f" FROM {kept} k LEFT JOIN {links} l ON k.user_id IS NULL AND k.anonymous_id = l.anonymous_id"
    )


def lead_keys_sql(placed: str) -> str:
    """A dense integer key per lead, in lead-id order (so key order is output order)."""
    return (
        "SELECT lead_id, CAST(row_number() OVER (ORDER BY lead_id) - 1 AS BIGINT) AS lk"
        f" FROM (SELECT DISTINCT lead_id FROM {placed} WHERE lead_id IS NOT NULL) d"
    )


def user_keys_sql(kept: str) -> str:
    """A dense integer key per lead, in lead-id order, straight from the kept messages (every
    lead id is the userId of some kept message: a link's userId comes from one), with the
    64-bit hash of the id."""
    return (
        "SELECT lead_id, hash(lead_id) AS h, CAST(row_number() OVER (ORDER BY lead_id) - 1 AS BIGINT) AS lk"
        f" FROM (SELECT DISTINCT user_id AS lead_id FROM {kept} k WHERE user_id IS NOT NULL) d"
    )


def keys_unique_sql(keys: str) -> str:
    """TRUE when no two leads share a hash, so joining on the hash is joining on the id."""
    return f"SELECT count(DISTINCT h) = count(*) FROM {keys}"


def keyed_sql(kept: str, keys: str, links: str, columns: Sequence[str], *, by_hash: bool) -> str:
    """Every kept message with its lead key ``lk`` (-1 for anonymous messages never linked):
    :func:`placed_sql` with keys instead of lead ids. ``by_hash`` joins userIds on their hash
    (exact when :func:`keys_unique_sql` holds: every userId of a kept message is a lead's)."""
    selected = ", ".join(f"k.{name}" for name in columns)
    on_user = "hash(k.user_id) = u.h" if by_hash else "k.user_id = u.lead_id"
    return (
        f"SELECT u.lk, {selected} FROM {kept} k JOIN {keys} u ON {on_user} WHERE k.user_id IS NOT NULL"
        f" UNION ALL SELECT coalesce(a.lk, -1) AS lk, {selected} FROM {kept} k"
        f" LEFT JOIN (SELECT l.anonymous_id, x.lk FROM {links} l JOIN {keys} x ON l.user_id = x.lead_id) a"
        " ON k.anonymous_id = a.anonymous_id WHERE k.user_id IS NULL"
    )
