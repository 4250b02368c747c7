"""User-facing labels in Japanese and English: stages, roles, actions, departments, SLA statuses.

One dictionary per concept, keyed by language then by the identifier the engine uses. The
rendered agreement, the dashboard and the reports all read from here so that a stage is called
the same thing everywhere. Stage names follow the glossary of SPEC §2.

Every lookup falls back to the identifier itself, so an unknown value (a custom event name, a
future stage) is shown as written rather than crashing or disappearing.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final, Literal

Lang = Literal["ja", "en"]
LANGS: Final[tuple[Lang, ...]] = ("ja", "en")

Labels = Mapping[Lang, Mapping[str, str]]

STAGE_SHORT: Final[Labels] = {
    "ja": {
        "lead": "リード",
        "mal": "MAL",
        "mql": "MQL",
        "sal": "SAL",
        "sql": "SQL",
        "sgl": "SGL",
        "opportunity": "商談",
        "customer": "受注",
        "lost": "失注",
        "disqualified": "対象外",
    },
    "en": {
        "lead": "Lead",
        "mal": "MAL",
        "mql": "MQL",
        "sal": "SAL",
        "sql": "SQL",
        "sgl": "SGL",
        "opportunity": "Opportunity",
        "customer": "Customer",
        "lost": "Lost",
        "disqualified": "Disqualified",
    },
}
"""Short stage names for tables and charts (``lost`` is the history entry written by ``lose``;
``sgl`` names the origin of sales-generated leads, which enter at ``sql``)."""

STAGE_NAMES: Final[Labels] = {
    "ja": {
        "lead": "リード(見込み顧客)",
        "mal": "MAL(マーケティング受け入れリード)",
        "mql": "MQL(マーケティング認定リード)",
        "sal": "SAL(営業受け入れリード)",
        "sql": "SQL(営業認定リード)",
        "sgl": "SGL(営業起点リード)",
        "opportunity": "商談",
        "customer": "受注(顧客)",
        "lost": "失注",
        "disqualified": "対象外(除外)",
    },
    "en": {
        "lead": "Lead",
        "mal": "MAL (Marketing Accepted Lead)",
        "mql": "MQL (Marketing Qualified Lead)",
        "sal": "SAL (Sales Accepted Lead)",
        "sql": "SQL (Sales Qualified Lead)",
        "sgl": "SGL (Sales Generated Lead)",
        "opportunity": "Opportunity",
        "customer": "Customer (won)",
        "lost": "Lost",
        "disqualified": "Disqualified",
    },
}
"""Long stage names (glossary form) for headings and explanations."""

HOT_FLAG: Final[Mapping[Lang, str]] = {"ja": "HQL(高確度リード)", "en": "HQL (hot lead)"}

ROLES: Final[Labels] = {
    "ja": {
        "marketing": "マーケティング",
        "inside_sales": "インサイドセールス",
        "field_sales": "フィールドセールス",
        "system": "システム(自動)",
        "admin": "管理者",
        "viewer": "閲覧者",
    },
    "en": {
        "marketing": "Marketing",
        "inside_sales": "Inside sales",
        "field_sales": "Field sales",
        "system": "System (automatic)",
        "admin": "Administrator",
        "viewer": "Viewer",
    },
}

DEPARTMENTS: Final[Labels] = {
    "ja": {
        "marketing": "マーケティング部門",
        "inside_sales": "インサイドセールス部門",
        "field_sales": "フィールドセールス部門",
        "sales": "営業部門",
    },
    "en": {
        "marketing": "Marketing",
        "inside_sales": "Inside sales",
        "field_sales": "Field sales",
        "sales": "Sales",
    },
}
"""Departments that own SLAs (``marketing``, ``inside_sales``, ``field_sales``) plus ``sales``,
the usual second signatory in ``approved_by``."""

ACTIONS: Final[Labels] = {
    "ja": {
        "assign": "担当割り当て",
        "accept": "受け入れ",
        "reject": "差し戻し",
        "contact": "コンタクト",
        "confirm_bant": "BANT確認",
        "open_opportunity": "商談化",
        "win": "受注",
        "lose": "失注",
        "recycle": "ナーチャリングへ戻す",
        "disqualify": "対象外にする",
        "create_sgl": "SGL登録",
    },
    "en": {
        "assign": "Assign",
        "accept": "Accept",
        "reject": "Reject",
        "contact": "Contact",
        "confirm_bant": "Confirm BANT",
        "open_opportunity": "Open opportunity",
        "win": "Win",
        "lose": "Lose",
        "recycle": "Recycle",
        "disqualify": "Disqualify",
        "create_sgl": "Create SGL",
    },
}

SLA_STATUSES: Final[Labels] = {
    "ja": {"met": "遵守", "breached": "違反", "running": "計測中", "cancelled": "取消"},
    "en": {"met": "Met", "breached": "Breached", "running": "Running", "cancelled": "Cancelled"},
}

BANT_ITEMS: Final[Labels] = {
    "ja": {
        "budget": "予算",
        "authority": "決裁権",
        "need": "必要性",
        "timeline": "導入時期",
        "competitor": "競合",
    },
    "en": {
        "budget": "Budget",
        "authority": "Authority",
        "need": "Need",
        "timeline": "Timeline",
        "competitor": "Competitor",
    },
}

ORIGINS: Final[Labels] = {
    "ja": {"marketing": "マーケティング起点", "sales": "営業起点(SGL)"},
    "en": {"marketing": "Marketing-generated", "sales": "Sales-generated (SGL)"},
}

TRAITS: Final[Labels] = {
    "ja": {
        "email": "メールアドレス",
        "email_domain": "メールドメイン",
        "name": "氏名",
        "company": "会社名",
        "title": "役職",
        "job_level": "役職レベル",
        "industry": "業種",
        "employees": "従業員数",
        "country": "国",
        "department": "部署",
        "source": "流入元",
        "campaign": "キャンペーン",
    },
    "en": {},
}
"""Names of common traits. English shows the trait key as written in the data (``employees``),
which is what integrators search for; Japanese readers get a translated name."""

EVENTS: Final[Labels] = {
    "ja": {
        "Whitepaper Downloaded": "ホワイトペーパーのダウンロード",
        "Case Study Downloaded": "導入事例のダウンロード",
        "Webinar Attended": "ウェビナー参加",
        "Webinar Registered": "ウェビナー申込",
        "Trade Show Booth Visited": "展示会ブース来訪",
        "Email Opened": "メール開封",
        "Email Link Clicked": "メール内リンクのクリック",
        "Contact Form Submitted": "問い合わせフォーム送信",
        "Document Requested": "資料請求",
        "Unsubscribed": "配信停止",
        "Quote Requested": "見積依頼",
        "Demo Requested": "デモ依頼",
        "Consultation Requested": "個別相談の申込",
        "Trial Started": "無料トライアル開始",
    },
    "en": {},
}
"""Japanese names of the track events used by the default agreement (Segment's Object Action
names stay as they are in English)."""

COUNTRIES: Final[Labels] = {
    "ja": {
        "JP": "日本",
        "US": "米国",
        "GB": "英国",
        "DE": "ドイツ",
        "FR": "フランス",
        "CN": "中国",
        "KR": "韓国",
        "TW": "台湾",
        "SG": "シンガポール",
        "AU": "オーストラリア",
        "IN": "インド",
    },
    "en": {
        "JP": "Japan",
        "US": "United States",
        "GB": "United Kingdom",
        "DE": "Germany",
        "FR": "France",
        "CN": "China",
        "KR": "South Korea",
        "TW": "Taiwan",
        "SG": "Singapore",
        "AU": "Australia",
        "IN": "India",
    },
}


def label(table: Labels, key: str, lang: Lang) -> str:
    """``key``'s label in ``lang``; the key itself when the table has none."""
    return table[lang].get(key, key)


def stage_label(stage: str, lang: Lang, *, long: bool = False) -> str:
    return label(STAGE_NAMES if long else STAGE_SHORT, stage, lang)


def role_label(role: str, lang: Lang) -> str:
    return label(ROLES, role, lang)


def action_label(action: str, lang: Lang) -> str:
    return label(ACTIONS, action, lang)


def department_label(department: str, lang: Lang) -> str:
    return label(DEPARTMENTS, department, lang)


def sla_status_label(status: str, lang: Lang) -> str:
    return label(SLA_STATUSES, status, lang)


def event_label(event: str, lang: Lang) -> str:
    """A track event's display name; Japanese keeps the original in brackets so it stays
    searchable in the event log: ``資料請求(Document Requested)``."""
    translated = EVENTS[lang].get(event)
    return f"{translated}({event})" if translated else event
