"""Every page word exists in Japanese and English, with the same placeholders, and every word
the templates and routes ask for exists."""

from __future__ import annotations

import re
import string
from pathlib import Path

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from leadpact.entrypoints import web
from leadpact.entrypoints.web import PAGES
from leadpact.entrypoints.web.i18n import FIELD_WORDS, WORDS, Words
from leadpact.entrypoints.web.routes import queue, waterfall

WEB = Path(web.__file__).parent


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_languages_have_the_same_words_and_placeholders() -> None:
    assert WORDS["ja"].keys() == WORDS["en"].keys()
    for key in WORDS["en"]:
        assert _placeholders(WORDS["ja"][key]) == _placeholders(WORDS["en"][key]), key


def test_every_word_the_pages_use_exists() -> None:
    used: set[str] = set()
    for path in [*WEB.glob("templates/*.html"), *WEB.glob("**/*.py")]:
        used |= set(re.findall(r"""(?:\bt|words)\(\s*['"]([a-z_]+\.[a-z_.]+)['"]""", path.read_text(encoding="utf-8")))
    assert used, "the scan found the words in use"
    # keys ending in "_" or "." are families completed at run time (next test)
    missing = sorted(key for key in used if key not in WORDS["en"] and not key.endswith(("_", ".")))
    assert missing == []


def test_dynamic_word_families_are_complete() -> None:
    for family in ("earlier", "later", "not_at_all", "newly", "stage_differs"):
        assert f"change.{family}" in WORDS["en"]
    for metric in ("mql", "mql_leads", "mql_to_sql", "mql_to_customer", "sla_clocks", "refused_actions"):
        assert f"backtest.metric_{metric}" in WORDS["en"]
    for kind in ("source", "industry", "size", "campaign", "content", "month"):
        assert f"segment.{kind}" in WORDS["en"]
    for state in ("queued", "running", "done", "failed"):
        assert f"job.{state}" in WORDS["en"]
    for rule in ("precision", "capacity", "f1"):
        assert f"calibration.rule_{rule}" in WORDS["en"]
    for kind in ("fit", "engagement"):
        assert f"lead.kind_{kind}" in WORDS["en"]
    for page in ("waterfall", "queue", "nurture", "agreement", "backtest"):
        assert f"nav.{page}" in WORDS["en"]
    for diff in ("added", "removed", "same"):
        assert f"agreement.{diff}" in WORDS["en"]
    for section in ("neglected", "upcoming"):
        assert f"queue.{section}_title" in WORDS["en"]
        assert f"queue.{section}_hint" in WORDS["en"]
    for channel in ("phone", "email", "meeting", "web"):
        assert f"channel.{channel}" in WORDS["en"]


UNNAMED_FIELDS = {"csrf_token", "intent", "next", "job", "job_id", "digest", "neglected_rows", "upcoming_rows"}
"""Hidden form fields and ids in paths: no label on any page, so errors name them as sent."""


def _fields_the_pages_accept() -> set[str]:
    """Every path, query and form parameter of a dashboard route: those FastAPI reads, and the
    filters and options the pages read from the query themselves."""
    names = {"lang", "timeline", "flow", *waterfall.FORM_KEYS, *queue.FORM_KEYS, "neglected_rows", "upcoming_rows"}
    for module in PAGES:
        for route in module.router.routes:
            assert isinstance(route, APIRoute)
            names |= _parameters(route.dependant)
    return names


def _parameters(dependant: Dependant) -> set[str]:
    own = {param.alias for param in (*dependant.path_params, *dependant.query_params, *dependant.body_params)}
    return own.union(*(_parameters(sub) for sub in dependant.dependencies))


def test_every_field_the_pages_accept_has_a_word_in_both_languages() -> None:
    accepted = _fields_the_pages_accept()
    assert {"size", "campaign", "reason", "action", "target", "yaml", "lead_id"} <= accepted, "the scan found them"
    assert sorted(accepted - UNNAMED_FIELDS - FIELD_WORDS.keys()) == []
    for lang in ("ja", "en"):
        for key in FIELD_WORDS.values():
            assert key in WORDS[lang], key
    assert Words("ja").field("size") == "企業規模"
    assert Words("en").field("from") == "From"
    assert Words("en").field("csrf_token") == "csrf_token"


def test_engine_vocabulary_comes_from_the_shared_labels() -> None:
    assert Words("ja").stage("mql") == "MQL"
    assert Words("ja").stage("customer") == "受注"
    assert Words("en").action("open_opportunity") == "Open opportunity"
    assert Words("ja").dept("inside_sales") == "インサイドセールス部門"
    assert Words("ja").status("breached") == "違反"


def test_segment_values_are_named_for_people() -> None:
    ja, en = Words("ja"), Words("en")
    assert ja.segment_value("size", "300-999") == "従業員300〜999名"
    assert en.segment_value("size", "1000+") == "1000+ employees"
    assert ja.segment_value("size", "1000+") == "従業員1000名以上"
    assert ja.segment_value("source", "trade_show") == "展示会"
    assert en.segment_value("industry", "it_services") == "IT services"
    assert ja.segment_value("campaign", "(none)") == "(未設定)"
    assert en.segment_value("campaign", "spring-expo") == "spring-expo"


def test_a_missing_word_shows_its_key_instead_of_failing() -> None:
    assert Words("en")("no.such.word") == "no.such.word"
