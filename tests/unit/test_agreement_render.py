"""The rendered MQL/SQL definition agreement: conditions read as sentences in Japanese and English,
every section of the agreement appears, and user text is escaped in both formats."""

from __future__ import annotations

import re
import textwrap
from html.parser import HTMLParser

import pytest

from leadpact.adapters.agreement_yaml import default_agreement, load_agreement_text
from leadpact.domain.agreement import STAGES, Agreement
from leadpact.domain.conditions import AllOf, AnyOf, BantGte, EventCond, EventIn, Not, PropertyTest, ScoreGte, TraitCond
from leadpact.domain.lifecycle import ACTION_RULES
from leadpact.domain.messages import ACTIONS, BANT_ITEMS, ROLES
from leadpact.service import labels
from leadpact.service.agreement_render import markdown_escape, markdown_escape_line, render_agreement
from leadpact.service.render.conditions import describe_condition

HEADER = 'name: Render test\nversion: "7"\n'


def agreement(body: str) -> Agreement:
    return load_agreement_text(HEADER + textwrap.dedent(body))


# --- conditions as sentences ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("condition", "ja", "en"),
    [
        (TraitCond("employees", "gte", 300), "従業員数が300以上", "employees is at least 300"),
        (TraitCond("employees", "lt", 1000), "従業員数が1,000未満", "employees is less than 1,000"),
        (TraitCond("employees", "gt", 50), "従業員数が50を超える", "employees is greater than 50"),
        (TraitCond("employees", "lte", 50), "従業員数が50以下", "employees is at most 50"),
        (TraitCond("job_level", "eq", "student"), "役職レベルが「student」", "job_level is “student”"),
        (TraitCond("industry", "ne", "retail"), "業種が「retail」以外", "industry is not “retail”"),
        (
            TraitCond("job_level", "in", ["executive", "director"]),
            "役職レベルが「executive」、「director」のいずれか",
            "job_level is “executive” or “director”",
        ),
        (
            TraitCond("industry", "not_in", ["retail", "public"]),
            "業種が「retail」、「public」のいずれでもない",
            "industry is none of “retail”, “public”",
        ),
        (TraitCond("title", "exists", True), "役職が登録されている", "title is set"),
        (TraitCond("title", "exists", False), "役職が未登録", "title is not set"),
        (TraitCond("title", "contains", "CTO"), "役職に「CTO」を含む", "title contains “CTO”"),
        (
            TraitCond("company.industry", "eq", "software"),
            "企業の業種が「software」",
            "the company's industry is “software”",
        ),
        (TraitCond("fav_color", "eq", "blue"), "fav_colorが「blue」", "fav_color is “blue”"),
    ],
)
def test_trait_conditions_read_naturally(condition: TraitCond, ja: str, en: str) -> None:
    assert describe_condition(condition, "ja") == ja
    assert describe_condition(condition, "en") == en


@pytest.mark.parametrize(
    ("condition", "ja", "en"),
    [
        (BantGte(2), "BANT項目のうち2項目以上を確認", "at least 2 BANT items have been confirmed"),
        (BantGte(1), "BANT項目のうち1項目以上を確認", "at least 1 BANT item has been confirmed"),
        (ScoreGte("score", 50), "スコア(属性+行動)が50点以上", "the score (fit + engagement) is at least 50 points"),
        (ScoreGte("fit", 20.5), "属性スコアが20.5点以上", "the fit score is at least 20.5 points"),
        (ScoreGte("engagement", 30), "行動スコアが30点以上", "the engagement score is at least 30 points"),
        (
            EventIn(("Quote Requested", "Trial Started")),
            "「見積依頼(Quote Requested)」、「無料トライアル開始(Trial Started)」のいずれかの行動があった",
            "a “Quote Requested” or “Trial Started” event has occurred",
        ),
        (
            EventIn(("Email Opened",)),
            "「メール開封(Email Opened)」の行動があった",
            "an “Email Opened” event has occurred",
        ),
    ],
)
def test_stage_criteria_read_naturally(condition: BantGte | ScoreGte | EventIn, ja: str, en: str) -> None:
    assert describe_condition(condition, "ja") == ja
    assert describe_condition(condition, "en") == en


@pytest.mark.parametrize(
    ("condition", "ja", "en"),
    [
        (EventCond(type="page", path="/"), "ページ「/」の閲覧", "a page view of “/”"),
        (
            EventCond(type="page", path_prefix="/pricing"),
            "「/pricing」配下のページの閲覧",
            "a page view under “/pricing”",
        ),
        (EventCond(path_prefix="/blog"), "「/blog」配下のページの閲覧", "a page view under “/blog”"),
        (EventCond(type="page"), "すべてのページ閲覧", "any page view"),
        (
            EventCond(type="track", event="Document Requested"),
            "「資料請求(Document Requested)」",
            "the “Document Requested” event",
        ),
        (
            EventCond(event="Signup", properties=(PropertyTest("seats", "gte", 50),)),
            "「Signup」（ただしプロパティ「seats」が50以上）",
            "the “Signup” event where property seats is at least 50",
        ),
    ],
)
def test_event_conditions_read_naturally(condition: EventCond, ja: str, en: str) -> None:
    assert describe_condition(condition, "ja") == ja
    assert describe_condition(condition, "en") == en


def test_combinators_join_with_and_or_and_bracket_when_nested() -> None:
    condition = AllOf(
        (
            ScoreGte("score", 50),
            AnyOf((TraitCond("country", "eq", "JP"), TraitCond("employees", "gte", 1000))),
        )
    )
    assert describe_condition(condition, "ja") == (
        "スコア(属性+行動)が50点以上、かつ（国が「JP」、または従業員数が1,000以上）"
    )
    assert describe_condition(condition, "en") == (
        "the score (fit + engagement) is at least 50 points and (country is “JP” or employees is at least 1,000)"
    )


def test_three_alternatives_list_with_a_final_or() -> None:
    condition = AnyOf((BantGte(3), EventIn(("Demo Requested",)), TraitCond("job_level", "eq", "executive")))
    assert describe_condition(condition, "en") == (
        "at least 3 BANT items have been confirmed, a “Demo Requested” event has occurred or job_level is “executive”"
    )
    assert describe_condition(condition, "ja").count("、") >= 2
    assert "、または役職レベルが「executive」" in describe_condition(condition, "ja")


def test_not_flips_only_where_missing_traits_keep_the_meaning() -> None:
    # not(eq) and ne are both true for a missing trait: safe to say "is not".
    assert describe_condition(Not(TraitCond("industry", "eq", "retail")), "en") == "industry is not “retail”"
    assert (
        describe_condition(Not(TraitCond("industry", "in", ["a", "b"])), "ja") == "業種が「a」、「b」のいずれでもない"
    )
    # not(gte) is true for a missing trait but lt is not: never rendered as "less than".
    assert describe_condition(Not(TraitCond("employees", "gte", 300)), "en") == "employees is not at least 300"
    assert describe_condition(Not(TraitCond("employees", "gte", 300)), "ja") == "従業員数が300以上ではない"
    assert describe_condition(Not(TraitCond("title", "exists", True)), "en") == "title is not set"


def test_not_of_scores_bant_and_events_is_said_directly() -> None:
    assert describe_condition(Not(ScoreGte("score", 50)), "ja") == "スコア(属性+行動)が50点未満"
    assert describe_condition(Not(BantGte(2)), "en") == "fewer than 2 BANT items have been confirmed"
    assert describe_condition(Not(EventIn(("A", "B"))), "en") == "no “A” or “B” event has occurred"
    assert describe_condition(Not(EventCond(type="page")), "ja") == "ページ閲覧以外の行動"


def test_not_of_a_group_wraps_the_whole_group() -> None:
    group = AllOf((BantGte(1), TraitCond("country", "eq", "JP")))
    assert describe_condition(Not(group), "ja") == "（BANT項目のうち1項目以上を確認、かつ国が「JP」）に該当しない"
    assert describe_condition(Not(group), "en") == (
        "it is not the case that (at least 1 BANT item has been confirmed and country is “JP”)"
    )


# --- the document -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ja_md() -> str:
    return render_agreement(default_agreement(), "ja", "md")


@pytest.fixture(scope="module")
def en_md() -> str:
    return render_agreement(default_agreement(), "en", "md")


def test_japanese_document_has_every_section(ja_md: str) -> None:
    assert ja_md.startswith("# MQL/SQL定義合意書\n")
    for heading in (
        "基本情報",
        "承認",
        "属性スコア",
        "行動スコア",
        "行動スコアの減衰",
        "MAL判定(除外条件)",
        "MQL基準",
        "SQL基準",
        "HQLフラグ(高確度リード)",
        "担当者の割り当て",
        "引き渡しルール(SLA)",
        "リサイクル(ナーチャリングへの差し戻し)",
        "ライフサイクルと操作権限",
    ):
        assert re.search(rf"^##+ [\d.]+ {re.escape(heading)}$", ja_md, re.MULTILINE), heading


def test_japanese_document_states_the_rules_in_words(ja_md: str) -> None:
    assert "| タイムゾーン | Asia/Tokyo |" in ja_md
    assert "| 営業日カレンダー | 日本(土日・祝日を除く) |" in ja_md
    assert "| large_company | 従業員数が300以上 | 10 |" in ja_md
    assert "| email_open | 「メール開封(Email Opened)」 | 1 | 最初の10件まで |" in ja_md
    assert "マイナスの点数は減点です: unsubscribe(-20点)。" in ja_md
    assert "- 90日を超えた行動は50%で計上します。" in ja_md
    assert "| competitor | メールドメインが「rival.example」 |" in ja_md
    assert "**スコア(属性+行動)が50点以上**" in ja_md
    assert "- BANT項目のうち2項目以上を確認" in ja_md
    assert "| 1 | 従業員数が1,000以上 | enterprise_is | is_tanaka、is_suzuki |" in ja_md
    assert "| 2 | 上記に該当しないすべてのMQL | smb_is | is_sato、is_ito、is_kato |" in ja_md
    assert (
        "| handoff | MQLになった時点 | 「担当割り当て」、「差し戻し」のいずれか | 24時間以内 | マーケティング部門 |"
    ) in ja_md
    assert (
        "| first_contact | 「担当割り当て」の実行時 | 「コンタクト」、「差し戻し」のいずれか "
        "| 3営業日以内(日本の営業日) |" in ja_md
    )
    assert "営業日には土日・日本の祝日を含みません" in ja_md


def test_english_document_states_the_rules_in_words(en_md: str) -> None:
    assert en_md.startswith("# MQL/SQL Definition Agreement\n")
    assert "| large_company | employees is at least 300 | 10 |" in en_md
    assert "- Events older than 90 days count 50% of their points." in en_md
    assert (
        "| meeting | lead becomes SQL | Open opportunity or Recycle | within 5 business days (Japan calendar) |"
        in en_md
    )
    assert "| handoff | lead becomes MQL | Assign or Reject | within 24 hours | Marketing |" in en_md
    assert "Business days exclude weekends and Japan's public holidays." in en_md


def test_signature_lines_for_each_approver(ja_md: str, en_md: str) -> None:
    assert re.search(r"^\| マーケティング部門 \| \\_", ja_md, re.MULTILINE)
    assert re.search(r"^\| 営業部門 \| \\_", ja_md, re.MULTILINE)
    assert re.search(r"^\| Sales \| \\_", en_md, re.MULTILINE)


def test_missing_approvers_still_get_both_signature_lines() -> None:
    document = render_agreement(agreement("stages: {mql: {when: {score_gte: 1}}}\n"), "en", "md")
    assert "approved_by" in document
    assert re.search(r"^\| Marketing \| \\_", document, re.MULTILINE)
    assert re.search(r"^\| Sales \| \\_", document, re.MULTILINE)


def test_lifecycle_table_lists_every_action_with_its_roles(ja_md: str, en_md: str) -> None:
    for action in ACTION_RULES:
        assert f"(`{action}`)" in ja_md and f"(`{action}`)" in en_md
    assert "| 受け入れ (`accept`) | MQL | SAL | インサイドセールス |" in ja_md
    assert (
        "| Disqualify (`disqualify`) | any stage but Customer | Disqualified | Marketing, Inside sales, Field sales |"
        in en_md
    )
    assert "| Create SGL (`create_sgl`) | (new lead) | SQL | Field sales |" in en_md
    assert (
        "| Lose (`lose`) | Opportunity | MAL | Field sales "
        "| history records Lost, then MAL at the same time; reason required |" in en_md
    )


def test_half_life_decay_and_no_decay_in_words() -> None:
    half_life = agreement("stages: {mql: {when: {score_gte: 1}}}\ndecay: {half_life_days: 30}\n")
    assert "行動の点数は30日ごとに半減します(半減期30日)。30日前の行動は50%、60日前の行動は25%で計上します。" in (
        render_agreement(half_life, "ja", "md")
    )
    assert "Engagement points halve every 30 days (half-life): an event 30 days old counts 50%, one 60 days old" in (
        render_agreement(half_life, "en", "md")
    )
    none = agreement("stages: {mql: {when: {score_gte: 1}}}\n")
    assert "行動スコアは減衰しません" in render_agreement(none, "ja", "md")
    zero = agreement("stages: {mql: {when: {score_gte: 1}}}\ndecay: {after_days: 30, factor: 0}\n")
    assert "Events older than 30 days no longer count." in render_agreement(zero, "en", "md")


def test_calendar_without_public_holidays_and_company_holidays() -> None:
    parsed = agreement("""\
        business_calendar: none
        company_holidays: [2026-12-30, 2026-12-29]
        stages: {mql: {when: {score_gte: 1}}}
        sla:
          - {id: s, starts: mql, stops: assign, within: {business_days: 1}, owner: marketing}
        """)
    ja = render_agreement(parsed, "ja", "md")
    assert "| 営業日カレンダー | 土日のみを除く(祝日カレンダーなし) |" in ja
    assert "| 会社休日 | 2026-12-29, 2026-12-30 |" in ja
    assert "1営業日以内(土日を除く)" in ja
    assert "営業日には土日・会社休日を含みません" in ja
    assert "within 1 business day (weekends excluded)" in render_agreement(parsed, "en", "md")


def test_optional_sections_missing_are_said_plainly() -> None:
    parsed = agreement("stages: {mql: {when: {score_gte: 1}}}\n")
    ja = render_agreement(parsed, "ja", "md")
    for sentence in (
        "属性スコアのルールはありません。",
        "行動スコアのルールはありません。",
        "除外条件はありません。すべてのリードがMALとなります。",
        "SQL基準は定義されていません。",
        "HQLフラグは使用しません。",
        "自動割り当ては行いません。",
        "SLAは定義されていません。",
    ):
        assert sentence in ja


def test_assignment_without_a_catch_all_rule_says_what_happens() -> None:
    parsed = agreement("""\
        stages: {mql: {when: {score_gte: 1}}}
        assignment:
          - {if: {trait: country, eq: JP}, team: jp, members: [a]}
        """)
    assert "An MQL that matches no rule is not assigned automatically" in render_agreement(parsed, "en", "md")


def test_rendering_is_deterministic() -> None:
    assert render_agreement(default_agreement(), "ja", "html") == render_agreement(default_agreement(), "ja", "html")


# --- escaping -----------------------------------------------------------------------------

HOSTILE = agreement("""\
    description: "<script>alert('x')</script> & | pipes"
    stages: {mql: {when: {trait: company, eq: "<b>ACME</b> | *Inc*"}}}
    assignment:
      - {team: "a|b <i>", members: ["[x](javascript:y)", "_under_"]}
    """)


def test_html_escapes_every_user_string() -> None:
    page = render_agreement(HOSTILE, "en", "html")
    assert "<script>" not in page and "<b>ACME" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; | pipes" in page
    assert "&lt;b&gt;ACME&lt;/b&gt;" in page


def test_markdown_escapes_every_user_string() -> None:
    document = render_agreement(HOSTILE, "en", "md")
    assert "<script>" not in document and "<b>" not in document
    assert "| a\\|b \\<i\\> | \\[x\\](javascript:y), \\_under\\_ |" in document
    assert "\\*Inc\\*" in document
    description_row = next(line for line in document.splitlines() if line.startswith("| Description |"))
    assert description_row.count(" | ") == 1  # the user's pipes did not add table cells


@pytest.mark.parametrize(
    ("text", "inline", "line_start"),
    [
        ("job_level", "job_level", "job_level"),
        ("# not a heading", "# not a heading", "\\# not a heading"),
        ("1. not a list", "1. not a list", "1\\. not a list"),
        ("two\nlines", "two lines", "two lines"),
        ("R&D &amp;", "R&D \\&amp;", "R&D \\&amp;"),
    ],
)
def test_markdown_escape(text: str, inline: str, line_start: str) -> None:
    assert markdown_escape(text) == inline
    assert markdown_escape_line(text) == line_start


class _TagBalance(HTMLParser):
    VOID = frozenset({"meta", "br", "hr", "img", "link", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack[-1:]}"
        self.stack.pop()


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_html_is_a_balanced_self_contained_printable_page(lang: labels.Lang) -> None:
    page = render_agreement(default_agreement(), lang, "html")
    parser = _TagBalance()
    parser.feed(page)
    assert parser.stack == []
    assert page.startswith("<!DOCTYPE html>") and f'<html lang="{lang}">' in page
    assert "script" not in parser.tags and "link" not in parser.tags and "img" not in parser.tags
    assert "http://" not in page and "https://" not in page and "@import" not in page
    assert "@media print" in page and "@page" in page


# --- labels -------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", labels.LANGS)
def test_every_engine_identifier_has_a_label(lang: labels.Lang) -> None:
    for stage in (*STAGES, "lost"):
        assert stage in labels.STAGE_SHORT[lang] and stage in labels.STAGE_NAMES[lang]
    for action in ACTIONS:
        assert action in labels.ACTIONS[lang]
    for role in ROLES:
        assert role in labels.ROLES[lang]
    for department in ("marketing", "inside_sales", "field_sales"):
        assert department in labels.DEPARTMENTS[lang]
    for status in ("met", "breached", "running", "cancelled"):
        assert status in labels.SLA_STATUSES[lang]
    for item in BANT_ITEMS:
        assert item in labels.BANT_ITEMS[lang]


def test_stage_labels_follow_the_glossary() -> None:
    assert labels.stage_label("mql", "ja", long=True) == "MQL(マーケティング認定リード)"
    assert labels.stage_label("opportunity", "ja") == "商談"
    assert labels.stage_label("customer", "en") == "Customer"
    assert labels.sla_status_label("breached", "ja") == "違反"
    assert labels.role_label("inside_sales", "en") == "Inside sales"


def test_unknown_identifiers_fall_back_to_themselves() -> None:
    assert labels.stage_label("nurture", "ja") == "nurture"
    assert labels.event_label("Custom Thing Happened", "ja") == "Custom Thing Happened"
    assert labels.event_label("Document Requested", "ja") == "資料請求(Document Requested)"
    assert labels.event_label("Document Requested", "en") == "Document Requested"
