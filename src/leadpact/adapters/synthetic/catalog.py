"""Static catalogues of the synthetic world: people, companies, content, sales staff, reasons.

Everything here is plain data. Weights are relative; every number that shapes the funnel is
documented in docs/generator.md, so a reader can judge the realism of the output.
"""

from __future__ import annotations

from typing import Final

# --- people ---------------------------------------------------------------------------------

SURNAMES: Final = (
    ("佐藤", "sato"), ("鈴木", "suzuki"), ("高橋", "takahashi"), ("田中", "tanaka"),
    ("伊藤", "ito"), ("渡辺", "watanabe"), ("山本", "yamamoto"), ("中村", "nakamura"),
    ("小林", "kobayashi"), ("加藤", "kato"), ("吉田", "yoshida"), ("山田", "yamada"),
    ("佐々木", "sasaki"), ("山口", "yamaguchi"), ("松本", "matsumoto"), ("井上", "inoue"),
    ("木村", "kimura"), ("林", "hayashi"), ("斎藤", "saito"), ("清水", "shimizu"),
    ("山崎", "yamazaki"), ("森", "mori"), ("池田", "ikeda"), ("橋本", "hashimoto"),
    ("阿部", "abe"), ("石川", "ishikawa"), ("山下", "yamashita"), ("中島", "nakajima"),
    ("石井", "ishii"), ("小川", "ogawa"), ("前田", "maeda"), ("岡田", "okada"),
    ("長谷川", "hasegawa"), ("藤田", "fujita"), ("後藤", "goto"), ("近藤", "kondo"),
    ("村上", "murakami"), ("遠藤", "endo"), ("青木", "aoki"), ("坂本", "sakamoto"),
)  # fmt: skip

GIVEN_NAMES: Final = (
    ("翔", "sho"), ("大輔", "daisuke"), ("健太", "kenta"), ("拓也", "takuya"),
    ("直樹", "naoki"), ("隆", "takashi"), ("浩", "hiroshi"), ("誠", "makoto"),
    ("剛", "tsuyoshi"), ("亮", "ryo"), ("和也", "kazuya"), ("達也", "tatsuya"),
    ("健一", "kenichi"), ("雄一", "yuichi"), ("哲也", "tetsuya"), ("蓮", "ren"),
    ("大翔", "hiroto"), ("悠真", "yuma"), ("陽子", "yoko"), ("恵子", "keiko"),
    ("美穂", "miho"), ("由美", "yumi"), ("直美", "naomi"), ("裕子", "yuko"),
    ("真由美", "mayumi"), ("愛", "ai"), ("彩", "aya"), ("麻衣", "mai"),
    ("奈々", "nana"), ("さくら", "sakura"), ("陽菜", "hina"), ("美咲", "misaki"),
    ("千尋", "chihiro"), ("智子", "tomoko"), ("香織", "kaori"), ("舞", "mai"),
)  # fmt: skip

JOB_LEVELS: Final = ("executive", "director", "manager", "staff")
JOB_LEVEL_WEIGHTS: Final = (7, 14, 27, 52)

DEPARTMENTS: Final = (
    "情報システム部", "経営企画部", "DX推進室", "製造部", "営業企画部",
    "マーケティング部", "総務部", "生産技術部", "品質保証部", "購買部",
)  # fmt: skip

TITLES: Final[dict[str, tuple[str, ...]]] = {
    "executive": ("代表取締役社長", "取締役", "執行役員", "CIO", "CTO"),
    "director": ("部長", "本部長", "室長"),
    "manager": ("課長", "マネージャー", "グループリーダー"),
    "staff": ("主任", "担当", "係長", "エンジニア"),
}

# --- companies ------------------------------------------------------------------------------

COMPANY_PREFIXES: Final = (
    ("東和", "towa"), ("日新", "nisshin"), ("大和", "yamato"), ("三協", "sankyo"),
    ("富士", "fuji"), ("北斗", "hokuto"), ("光陽", "koyo"), ("旭", "asahi"),
    ("新星", "shinsei"), ("中央", "chuo"), ("太平", "taihei"), ("明和", "meiwa"),
    ("昭栄", "shoei"), ("丸共", "marukyo"), ("青葉", "aoba"), ("桜井", "sakurai"),
    ("菱和", "ryowa"), ("協和", "kyowa"), ("栄光", "eiko"), ("東邦", "toho"),
    ("西日本", "nishinihon"), ("関東", "kanto"), ("北陸", "hokuriku"), ("九州", "kyushu"),
    ("瀬戸内", "setouchi"), ("湘南", "shonan"), ("武蔵", "musashi"), ("信州", "shinshu"),
    ("白鷺", "shirasagi"), ("若葉", "wakaba"), ("朝霧", "asagiri"), ("千代田", "chiyoda"),
    ("浪速", "naniwa"), ("常盤", "tokiwa"), ("白浜", "shirahama"), ("高砂", "takasago"),
    ("みなと", "minato"), ("葵", "aoi"), ("大洋", "taiyo"), ("平和", "heiwa"),
)  # fmt: skip

# (kanji suffix, romaji, industry, is a corporation "株式会社")
COMPANY_SUFFIXES: Final = (
    ("精工", "seiko", "manufacturing", True), ("工業", "kogyo", "manufacturing", True),
    ("製作所", "seisakusho", "manufacturing", True), ("電機", "denki", "manufacturing", True),
    ("化学", "kagaku", "manufacturing", True), ("金属", "kinzoku", "manufacturing", True),
    ("機械", "kikai", "manufacturing", True), ("電子", "denshi", "manufacturing", True),
    ("食品", "shokuhin", "manufacturing", True), ("樹脂", "jushi", "manufacturing", True),
    ("ソフト", "soft", "software", True), ("システムズ", "systems", "software", True),
    ("テクノロジーズ", "tech", "software", True), ("ラボ", "labs", "software", True),
    ("クラウド", "cloud", "software", True),
    ("情報サービス", "joho", "it_services", True), ("ソリューションズ", "solutions", "it_services", True),
    ("データ", "data", "it_services", True), ("ネットワークス", "networks", "it_services", True),
    ("システム開発", "sysdev", "it_services", True), ("ITサービス", "itservice", "it_services", True),
    ("商事", "shoji", "retail", True), ("ストア", "store", "retail", True),
    ("百貨店", "hyakkaten", "retail", True), ("リテール", "retail", "retail", True),
    ("銀行", "bank", "finance", True), ("証券", "shoken", "finance", True),
    ("信用金庫", "shinkin", "finance", False), ("損害保険", "sonpo", "finance", True),
    ("メディカル", "medical", "healthcare", True), ("製薬", "seiyaku", "healthcare", True),
    ("病院", "hospital", "healthcare", False), ("ヘルスケア", "healthcare", "healthcare", True),
    ("建設", "kensetsu", "construction", True), ("組", "gumi", "construction", True),
    ("工務店", "komuten", "construction", True), ("ハウス", "house", "construction", True),
    ("運輸", "unyu", "logistics", True), ("物流", "butsuryu", "logistics", True),
    ("ロジスティクス", "logistics", "logistics", True), ("倉庫", "soko", "logistics", True),
    ("学園", "gakuen", "education", False), ("教育", "kyoiku", "education", True),
    ("市役所", "city", "public", False), ("公社", "kosha", "public", False),
)  # fmt: skip

# Employee-count bands and their weights; a company's head count is drawn inside its band.
EMPLOYEE_BANDS: Final = ((10, 49), (50, 299), (300, 999), (1000, 4999), (5000, 30000))
EMPLOYEE_BAND_WEIGHTS: Final = (25, 35, 20, 13, 7)

COUNTRIES: Final = ("JP", "US", "SG", "TW", "KR", "TH", "DE")
COUNTRY_WEIGHTS: Final = (94, 2, 1, 1, 1, 0.5, 0.5)

REGION_NAMES: Final = ("東日本", "西日本", "中部", "北海道", "九州", "関西", "東北", "四国")

COMPETITOR: Final = {
    "group_id": "C-RIVAL",
    "name": "ライバルテクノロジーズ株式会社",
    "domain": "rival.example",
    "industry": "software",
    "employees": 850,
    "country": "JP",
}

UNIVERSITIES: Final = (
    ("東都大学", "toto-u"), ("関西工科大学", "kansai-tech"), ("北辰大学", "hokushin-u"),
    ("南海情報大学", "nankai-info"), ("みなと経済大学", "minato-econ"),
)  # fmt: skip

# --- lead sources and campaigns -----------------------------------------------------------

SOURCES: Final = (
    "web_organic", "web_ads", "trade_show", "webinar", "content_syndication",
    "partner", "referral", "inbound_call",
)  # fmt: skip
SOURCE_WEIGHTS: Final = (24, 15, 19, 14, 9, 6, 3, 1.5)
SGL_SOURCES: Final = frozenset({"referral", "inbound_call"})
SGL_SHARE: Final = {"referral": 0.8, "inbound_call": 0.9}
"""Share of leads from these sources that sales registers itself (SGL, SPEC §4.3.6)."""

AD_CAMPAIGNS: Final = ("search-ads-brand", "search-ads-generic", "display-retargeting", "social-ads-dx")
SYNDICATION_CAMPAIGNS: Final = ("media-syndication-dx", "media-syndication-manufacturing", "media-syndication-security")
PARTNER_CAMPAIGNS: Final = ("partner-cosell-si", "partner-joint-seminar", "partner-reseller")
REFERRAL_CAMPAIGNS: Final = ("customer-referral", "executive-network")

# Trade shows: (slug, name, month, day): held on the first business Wednesday on/after the date
# for three days, every year of the window.
TRADE_SHOWS: Final = (
    ("tokyo-it-expo-spring", "東京ITエキスポ 春", 4, 8),
    ("manufacturing-dx-expo", "製造業DXエキスポ", 6, 18),
    ("autumn-it-expo", "ITエキスポ 秋", 10, 22),
    ("osaka-business-expo", "大阪ビジネスEXPO", 11, 12),
    ("smart-factory-expo", "スマートファクトリー展", 1, 22),
)  # fmt: skip

WEBINAR_TOPICS: Final = (
    ("dx-first-steps", "はじめてのDX推進"), ("mql-sql", "MQL/SQLの定義と営業連携"),
    ("factory-iot", "工場IoT導入事例"), ("security-basics", "中堅企業のセキュリティ対策"),
    ("data-driven-sales", "データドリブン営業"), ("cloud-migration", "クラウド移行の勘所"),
)  # fmt: skip

EMAIL_SUBJECTS: Final = (
    "【ニュースレター】今月のDX事例", "【ご案内】無料ウェビナーのお知らせ",
    "【新機能】レポート機能をリリースしました", "【事例】製造業A社の導入効果",
    "【お役立ち資料】導入チェックリスト", "【セミナー】展示会出展のご案内",
)  # fmt: skip

# --- website and content --------------------------------------------------------------------

PRODUCTS: Final = (
    ("/products/cloud-erp", "クラウドERP"),
    ("/products/iot-platform", "IoTプラットフォーム"),
    ("/products/analytics", "アナリティクス"),
    ("/products/security", "セキュリティ"),
)
CASE_STUDIES: Final = (
    ("/case-studies/towa-seiko", "導入事例: 製造業"),
    ("/case-studies/chuo-logistics", "導入事例: 物流"),
    ("/case-studies/aoba-bank", "導入事例: 金融"),
    ("/case-studies/fuji-soft", "導入事例: ソフトウェア"),
)
BLOG_POSTS: Final = (
    ("/blog/what-is-mql", "MQLとは"), ("/blog/dx-roadmap", "DXロードマップの作り方"),
    ("/blog/iot-cost", "IoT導入コストの考え方"), ("/blog/zero-trust", "ゼロトラスト入門"),
    ("/blog/erp-selection", "ERP選定のポイント"), ("/blog/year-end-it-budget", "年度末のIT予算"),
)  # fmt: skip
OTHER_PAGES: Final = (
    ("/company", "会社概要"), ("/resources", "資料ダウンロード"), ("/webinars", "ウェビナー一覧"),
    ("/contact", "お問い合わせ"), ("/careers", "採用情報"),
)  # fmt: skip

WHITEPAPERS: Final = (
    ("wp-dx-guide", "製造業DX入門ガイド"), ("wp-iot-checklist", "IoT導入チェックリスト"),
    ("wp-security-2025", "セキュリティ対策白書"), ("wp-erp-compare", "クラウドERP比較表"),
)  # fmt: skip
CASE_STUDY_ASSETS: Final = (
    ("cs-towa-seiko", "東和精工様 導入事例"), ("cs-chuo-logistics", "中央物流様 導入事例"),
)  # fmt: skip

PURCHASE_EVENTS: Final = ("Demo Requested", "Quote Requested", "Consultation Requested", "Trial Started")
PURCHASE_WEIGHTS: Final = (35, 25, 25, 15)

# --- sales ------------------------------------------------------------------------------------

INSIDE_SALES: Final = ("is_tanaka", "is_suzuki", "is_sato", "is_ito", "is_kato")
"""Used when the agreement has no ``assignment`` (otherwise its team members act)."""
FIELD_SALES_ENTERPRISE: Final = ("fs_yamamoto", "fs_nakamura")
FIELD_SALES_SMB: Final = ("fs_kobayashi", "fs_watanabe", "fs_yoshida")
ENTERPRISE_EMPLOYEES: Final = 1000

REJECT_REASONS: Final = (
    "no budget this fiscal year", "予算なし", "timing", "情報収集段階",
    "not the decision maker", "決裁者ではない", "連絡がつかない", "no project planned",
    "対象外の規模", "既存システムで十分",
)  # fmt: skip
RECYCLE_REASONS: Final = (
    "timing", "来期検討", "no budget this fiscal year", "予算確保待ち",
    "project postponed", "担当者異動",
)  # fmt: skip
LOSE_REASONS: Final = (
    "competitor chosen", "競合に決定", "price", "価格が合わない", "no decision",
    "検討中止", "timing", "予算凍結",
)  # fmt: skip
LOSE_WEIGHTS: Final = (18, 14, 12, 10, 14, 10, 12, 10)
DISQUALIFY_REASONS: Final = ("duplicate lead", "重複リード", "個人利用", "海外拠点のため対象外", "invalid contact")
