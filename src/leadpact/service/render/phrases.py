"""The fixed wording of the rendered agreement (headings, column names, explanations).

Parametrised sentences use ``str.format`` fields; the renderer fills them, the templates only lay
the text out. Japanese is written as a Japanese business document, not translated word by word.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from leadpact.service.labels import Lang

PHRASES: Final[Mapping[Lang, Mapping[str, str]]] = {
    "ja": {
        "title": "MQL/SQL定義合意書",
        "version_label": "バージョン",
        "intro": (
            "本書は、マーケティング部門と営業部門が合意したリードの定義、スコアリング、"
            "ステージ判定基準および引き渡しルール(SLA)を定めるものです。"
            "leadpactは本書と同一の合意ファイル(バージョン {version})に基づいて判定を実行し、"
            "すべての判定結果にこのバージョンを記録します。"
        ),
        "toc": "目次",
        "overview": "基本情報",
        "item": "項目",
        "value": "内容",
        "name": "名称",
        "timezone": "タイムゾーン",
        "business_calendar": "営業日カレンダー",
        "calendar_country": "{country}(土日・祝日を除く)",
        "calendar_none": "土日のみを除く(祝日カレンダーなし)",
        "company_holidays": "会社休日",
        "none": "なし",
        "description": "説明",
        "approval": "承認",
        "approval_text": "以下の部門は、本書の内容に合意します。",
        "approval_defaulted": "(合意ファイルに approved_by の記載がないため、両部門の署名欄を表示しています)",
        "department": "部門",
        "signer": "氏名",
        "signature": "署名",
        "date": "日付",
        "scoring": "スコアリング",
        "score_formula": (
            "スコア = 属性スコア + 行動スコア。各スコアは内訳(ルールID、該当件数、点数、"
            "減衰後の点数)とともに記録されます。"
        ),
        "fit": "属性スコア",
        "fit_note": (
            "評価時点のリードの属性について、条件を満たすすべてのルールの点数を合計します。"
            "属性はリード本人の値を使い、本人の値がない場合は所属企業の値を使います。"
        ),
        "fit_empty": "属性スコアのルールはありません。",
        "rule_id": "ルールID",
        "condition": "条件",
        "points": "点数",
        "engagement": "行動スコア",
        "engagement_note": (
            "条件に該当する行動1件ごとに加点します。1件の行動が複数のルールに該当する場合は、"
            "それぞれのルールで加点します。"
        ),
        "engagement_empty": "行動スコアのルールはありません。",
        "behaviour": "対象となる行動",
        "max_count": "上限",
        "max_count_value": "最初の{count}件まで",
        "no_limit": "上限なし",
        "max_count_note": "上限: リードごとに、最初のN件(最後のリセット以降、時刻順)のみ加点します。",
        "negative_note": "マイナスの点数は減点です: {rules}。",
        "list_separator": "、",
        "negative_item": "{rule}({points}点)",
        "decay": "行動スコアの減衰",
        "decay_step": "{days}日を超えた行動は{percent}%で計上します。",
        "decay_step_zero": "{days}日を超えた行動は計上しません。",
        "decay_half_life": (
            "行動の点数は{days}日ごとに半減します(半減期{days}日)。"
            "{days}日前の行動は50%、{double}日前の行動は25%で計上します。"
        ),
        "decay_none": "行動スコアは減衰しません(古い行動も満額で計上します)。",
        "decay_scope": "減衰は行動スコアのみに適用し、属性スコアには適用しません。",
        "stages": "ステージ定義",
        "exclusions": "MAL判定(除外条件)",
        "exclusions_note": (
            "新しいリードは、以下のいずれにも該当しなければMAL(マーケティング受け入れリード)となります。"
            "いずれかに該当するリードは「対象外」となります。除外条件はSALに進む前のリードに適用します。"
        ),
        "exclusions_empty": "除外条件はありません。すべてのリードがMALとなります。",
        "mql": "MQL基準",
        "mql_lead": "MALのリードは、次の条件を満たした時点でMQL(マーケティング認定リード)となります。",
        "sql": "SQL基準",
        "sql_lead": "SQLより前のステージのリードは、次の条件を満たした時点でSQL(営業認定リード)となります。",
        "sql_none": "SQL基準は定義されていません。リードが条件によって自動的にSQLになることはありません。",
        "hot": "HQLフラグ(高確度リード)",
        "hot_lead": "次の条件を満たすリードにHQLフラグを付けます(ステージではなく、評価時点で判定します)。",
        "hot_none": "HQLフラグは使用しません。",
        "stage_rules": "判定の原則",
        "stage_rule_no_back": "スコアが減衰しても、ステージは戻りません。",
        "stage_rule_fast_track": (
            "SQL基準を満たしたリードは、途中のステージを飛ばしてSQLとなります。"
            "飛ばしたステージも同時刻に到達したもの(fast track)として記録し、転換率の整合性を保ちます。"
            "この方法でMQLに到達したリードも、通常のMQLと同様に担当者を割り当てます。"
        ),
        "stage_rule_sgl": "営業起点リード(SGL)は、SGL登録によりSQLから開始します(MALを経由しません)。",
        "stage_rule_bant": (
            "BANT項目は、予算・決裁権・必要性・導入時期・競合の5項目で、"
            "最後のリサイクル以降に確認された異なる項目の数を数えます。"
        ),
        "stage_rule_events": "「行動があった」かどうかは、最後のリサイクル以降に発生した行動で判定します。",
        "assignment": "担当者の割り当て",
        "assignment_note": (
            "リードがMQLになった時点で、上から順に最初に条件を満たすルールのチームに自動で割り当てます。"
            "チーム内では、メンバーの記載順に輪番で割り当てます(全リードのMQL到達順。同時刻はリードID順)。"
        ),
        "assignment_no_fallback": (
            "いずれのルールにも該当しないMQLは自動では割り当てられません。API または画面から割り当ててください。"
        ),
        "assignment_none": "自動割り当ては行いません。MQLの担当者はマーケティング部門がAPIまたは画面から割り当てます。",
        "order": "順位",
        "team": "チーム",
        "members": "メンバー(輪番順)",
        "every_mql": "すべてのMQL",
        "every_other_mql": "上記に該当しないすべてのMQL",
        "sla": "引き渡しルール(SLA)",
        "sla_note": (
            "各SLAは「開始」の時点で計測を始め、「停止」のいずれかが最初に行われた時点で止まります。"
            "期限までに停止すれば「遵守」、期限後に停止した場合や期限を過ぎても停止していない場合は「違反」です。"
            "計測中のままリードがMALに戻った、対象外になった、または受注した場合は「取消」とします。"
        ),
        "sla_business_days_note": (
            "営業日で定めた期限は、開始日(現地時間 {timezone})の翌営業日から数えてN営業日目の23:59:59までです。"
            "営業日には{holidays}を含みません。時間・日数で定めた期限は、土日祝日を含む経過時間です。"
        ),
        "sla_holidays_weekends": "土日",
        "sla_holidays_public": "{country}の祝日",
        "sla_holidays_company": "会社休日",
        "sla_empty": "SLAは定義されていません。",
        "sla_id": "ID",
        "starts": "開始",
        "stops": "停止",
        "within": "期限",
        "owner": "責任部門",
        "starts_stage": "{stage}になった時点",
        "starts_action": "{action}の実行時",
        "stops_stage": "{stage}になる",
        "within_minutes": "{count}分以内",
        "within_hours": "{count}時間以内",
        "within_days": "{count}日以内(暦日)",
        "within_business_days": "{count}営業日以内({calendar})",
        "calendar_short": "{country}の営業日",
        "calendar_short_none": "土日を除く",
        "recycle": "リサイクル(ナーチャリングへの差し戻し)",
        "recycle_note": "差し戻し・ナーチャリングへ戻す・失注により、リードはMALに戻ります。",
        "recycle_reset": (
            "MALに戻ったリードは、それまでの行動スコアをリセットします(属性スコアは維持します)。"
            "再びMQL基準を満たすまでMQLにはなりません。"
        ),
        "recycle_keep": "MALに戻っても行動スコアはリセットしません(合意ファイルで reset_engagement: false)。",
        "recycle_signals": (
            "確認済みのBANT項目と、SQL基準の「行動があった」の判定は、リサイクルのたびにリセットします。"
        ),
        "lifecycle": "ライフサイクルと操作権限",
        "lifecycle_note": (
            "各操作は、許可されたステージと役割でのみ実行できます。それ以外の操作は理由とともに拒否され、"
            "何も変更しません。"
        ),
        "action": "操作",
        "allowed_from": "実行できるステージ",
        "goes_to": "遷移先",
        "roles": "実行できる役割",
        "notes": "備考",
        "roles_note": (
            "管理者はすべての操作を実行できます。「システム」はleadpactによる自動処理です。"
            "閲覧者は参照のみ可能です。マーケティング部門は合意ファイル、データの取り込み、除外条件を管理します。"
        ),
        "footer": "leadpact {tool_version} により合意ファイル「{name}」バージョン {version} から生成。",
    },
    "en": {
        "title": "MQL/SQL Definition Agreement",
        "version_label": "Version",
        "intro": (
            "This document sets out the lead definitions, scoring, stage criteria and hand-off "
            "rules (SLAs) agreed between marketing and sales. leadpact executes the very same "
            "agreement file (version {version}) and records this version with every decision "
            "it makes."
        ),
        "toc": "Contents",
        "overview": "Overview",
        "item": "Item",
        "value": "Value",
        "name": "Name",
        "timezone": "Time zone",
        "business_calendar": "Business calendar",
        "calendar_country": "{country} (weekends and public holidays excluded)",
        "calendar_none": "weekends excluded only (no public holiday calendar)",
        "company_holidays": "Company holidays",
        "none": "none",
        "description": "Description",
        "approval": "Approval",
        "approval_text": "The following departments agree to this document.",
        "approval_defaulted": "(The agreement file has no approved_by, so lines for both departments are shown.)",
        "department": "Department",
        "signer": "Name",
        "signature": "Signature",
        "date": "Date",
        "scoring": "Scoring",
        "score_formula": (
            "Score = fit score + engagement score. Every score is recorded with its breakdown (rule id, matched count, "
            "points, points after decay)."
        ),
        "fit": "Fit score",
        "fit_note": (
            "The points of every rule whose condition holds on the lead's traits at evaluation "
            "time are added up. A lead's own trait is used; when the lead has none, its "
            "company's is used."
        ),
        "fit_empty": "There are no fit rules.",
        "rule_id": "Rule id",
        "condition": "Condition",
        "points": "Points",
        "engagement": "Engagement score",
        "engagement_note": (
            "Every matching event earns the rule's points. An event that matches several rules "
            "earns the points of each."
        ),
        "engagement_empty": "There are no engagement rules.",
        "behaviour": "Behaviour",
        "max_count": "Limit",
        "max_count_value": "first {count} events",
        "no_limit": "no limit",
        "max_count_note": (
            "Limit: only a lead's first N matching events (by time, since the last reset) earn points for that rule."
        ),
        "negative_note": "Negative points subtract: {rules}.",
        "list_separator": ", ",
        "negative_item": "{rule} ({points} points)",
        "decay": "Engagement decay",
        "decay_step": "Events older than {days} days count {percent}% of their points.",
        "decay_step_zero": "Events older than {days} days no longer count.",
        "decay_half_life": (
            "Engagement points halve every {days} days (half-life): an event {days} days old "
            "counts 50%, one {double} days old counts 25%."
        ),
        "decay_none": "Engagement points do not decay (old events count in full).",
        "decay_scope": "Decay applies to the engagement score only, never to the fit score.",
        "stages": "Stage definitions",
        "exclusions": "MAL gate (exclusions)",
        "exclusions_note": (
            "A new lead becomes a MAL (Marketing Accepted Lead) unless it matches one of the "
            "following; a lead that matches one becomes Disqualified. Exclusions apply while "
            "the lead has not reached SAL."
        ),
        "exclusions_empty": "There are no exclusions: every lead becomes a MAL.",
        "mql": "MQL criteria",
        "mql_lead": "A MAL becomes an MQL (Marketing Qualified Lead) as soon as its criteria hold:",
        "sql": "SQL criteria",
        "sql_lead": (
            "A lead in any stage before SQL becomes an SQL (Sales Qualified Lead) as soon as its criteria hold:"
        ),
        "sql_none": "No SQL criteria are defined: leads never become SQL automatically.",
        "hot": "HQL flag (hot lead)",
        "hot_lead": (
            "A lead carries the HQL flag while its criteria hold (a flag, not a stage; evaluated at the evaluation "
            "time):"
        ),
        "hot_none": "The HQL flag is not used.",
        "stage_rules": "Principles",
        "stage_rule_no_back": "A stage is never lost because a score decays.",
        "stage_rule_fast_track": (
            "A lead that meets the SQL criteria becomes an SQL directly; the stages it skipped "
            "are recorded as reached at the same time (fast track) so that conversion rates "
            "stay coherent. A lead that reaches MQL this way is assigned like any MQL."
        ),
        "stage_rule_sgl": "A sales-generated lead (SGL) starts at SQL when it is created (it never enters MAL).",
        "stage_rule_bant": (
            "BANT(C) items are budget, authority, need, timeline and competitor; the distinct items confirmed since "
            "the last recycle are counted."
        ),
        "stage_rule_events": "“An event has occurred” looks at events since the last recycle.",
        "assignment": "Assignment",
        "assignment_note": (
            "When a lead becomes an MQL it is assigned to the team of the first rule whose "
            "condition holds. Inside a team, members take turns in the order listed (in the "
            "order leads reach MQL; ties by lead id)."
        ),
        "assignment_no_fallback": (
            "An MQL that matches no rule is not assigned automatically; assign it through the API or the dashboard."
        ),
        "assignment_none": "No automatic assignment: marketing assigns each MQL through the API or the dashboard.",
        "order": "Order",
        "team": "Team",
        "members": "Members (in turn)",
        "every_mql": "every MQL",
        "every_other_mql": "every MQL not matched above",
        "sla": "Hand-off rules (SLAs)",
        "sla_note": (
            "An SLA clock starts at its start and stops at the first of its stops. It is met "
            "if stopped by the deadline, breached if stopped later or still running past the "
            "deadline, and cancelled if the lead is recycled to MAL, disqualified or won while "
            "the clock runs."
        ),
        "sla_business_days_note": (
            "A deadline in business days ends at 23:59:59 local time ({timezone}) on the Nth "
            "business day after the start date. Business days exclude {holidays}. "
            "Deadlines in hours or days are elapsed time, weekends and holidays included."
        ),
        "sla_holidays_weekends": "weekends",
        "sla_holidays_public": "{country}'s public holidays",
        "sla_holidays_company": "company holidays",
        "sla_empty": "No SLAs are defined.",
        "sla_id": "Id",
        "starts": "Starts",
        "stops": "Stops",
        "within": "Deadline",
        "owner": "Owner",
        "starts_stage": "lead becomes {stage}",
        "starts_action": "{action} is recorded",
        "stops_stage": "lead becomes {stage}",
        "within_minutes": "within {count} minutes",
        "within_hours": "within {count} hours",
        "within_days": "within {count} days (calendar days)",
        "within_business_days": "within {count} business days ({calendar})",
        "calendar_short": "{country} calendar",
        "calendar_short_none": "weekends excluded",
        "recycle": "Recycling",
        "recycle_note": "Reject, recycle and lose return the lead to MAL (nurturing).",
        "recycle_reset": (
            "A lead returned to MAL loses its earlier engagement points (its fit score stays), so it must earn its "
            "way back to MQL."
        ),
        "recycle_keep": "A lead returned to MAL keeps its engagement points (reset_engagement: false).",
        "recycle_signals": (
            "Confirmed BANT items and the “an event has occurred” criteria start over at every recycle."
        ),
        "lifecycle": "Lifecycle and permissions",
        "lifecycle_note": (
            "An action is allowed only from the listed stages and for the listed roles; any other action is refused "
            "with a reason and changes nothing."
        ),
        "action": "Action",
        "allowed_from": "Allowed from",
        "goes_to": "Goes to",
        "roles": "Roles",
        "notes": "Notes",
        "roles_note": (
            "Administrators may do everything. System is leadpact itself. Viewers read only. "
            "Marketing owns the agreement, imports and exclusions."
        ),
        "footer": "Generated by leadpact {tool_version} from the agreement “{name}”, version {version}.",
    },
}
