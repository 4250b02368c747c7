"""The calibration report's words in English and Japanese (one flat mapping per language).

Sentences are ``str.format`` templates. Stage and target names come from
:mod:`leadpact.service.labels` so a stage is called the same everywhere.
"""

from __future__ import annotations

from typing import Final

from leadpact.service.labels import Lang

_EN: Final = {
    "title": "Calibration report",
    "h.data": "Data",
    "h.headline": "How well each score ranks leads (cross-validated)",
    "h.time": "Time-ordered check",
    "h.leakage": "Leakage guard",
    "h.suggestion": "Suggested MQL threshold",
    "h.thresholds": "Threshold table (suggested point table)",
    "h.current": "Threshold table (current agreement)",
    "h.charts": "Charts",
    "h.points": "Suggested point table",
    "h.fit": "Fit rules (traits)",
    "h.engagement": "Engagement rules (events)",
    "h.backtest": "Back-test: what the proposal would have changed",
    "h.method": "Method",
    "data.leads": "{leads} leads with a known outcome; {positives} reached **{target}** ({rate}).",
    "data.unlabelled": "{n} leads without a known outcome were left out.",
    "data.sgl": "{n} sales-generated leads (create_sgl) were left out: marketing never scored them.",
    "data.dropped": "{n} traits/events recorded after a lead's first sales action were ignored.",
    "data.weeks": "The leads were created over {weeks:.1f} weeks.",
    "data.window": "Traits and events count up to each lead's first sales action and at most {days:g} days "
    "after it was created, so that every lead is observed over a comparable period (`--window-days`).",
    "data.small": "**Small sample:** only {n} leads in the rarer outcome. Expect these figures to move by "
    "several points from one sample to the next; collect more history before signing.",
    "col.score": "Score",
    "col.auc": "ROC AUC",
    "col.top20": "Top-20 % capture",
    "col.brier": "Brier",
    "col.threshold": "MQL threshold",
    "col.mqls": "MQLs",
    "col.share": "Share of leads",
    "col.per_week": "MQLs / week",
    "col.precision": "Precision",
    "col.recall": "Recall",
    "col.lift": "Lift",
    "col.rule": "Rule",
    "col.points": "Points",
    "col.id": "Id",
    "col.feature": "Feature",
    "col.reason": "Reason",
    "col.excluded": "Excluded",
    "col.effective": "Points by number of events",
    "col.measure": "Measure",
    "col.current": "Current",
    "col.proposed": "Proposed",
    "col.train": "Train leads (oldest)",
    "col.test": "Test leads (newest)",
    "series.model": "Predictive model",
    "series.points": "Suggested point table",
    "series.current": "Current agreement",
    "series.random": "Random",
    "series.ideal": "Best possible",
    "headline.note": "Figures are out-of-fold ({folds}-fold stratified cross-validation, seed {seed}): "
    "every lead is scored by a model that did not see it. Base rate {rate}; "
    "the best possible top-20 % capture is {ceiling}.",
    "time.note": "Trained on the oldest leads, tested on the newest: ROC AUC stays at {model} (model) "
    "and {points} (point table).",
    "leakage.none": "No feature was flagged.",
    "leakage.note": "Excluded features are left out of both the point table and the model. "
    "To keep one anyway, pass `--allow NAME`; to exclude more, `--exclude NAME`.",
    "leakage.post_contact": "filled after sales contact",
    "leakage.near_perfect": "near-perfect predictor",
    "yes": "yes",
    "no": "no (allowed)",
    "suggest.f1": "No target was given, so the threshold balances precision and recall (best F1). "
    "Use `--precision P` or `--capacity N_PER_WEEK` to aim for a target.",
    "suggest.precision": "Target precision {target:.0%}: the lowest threshold whose MQLs convert at least that often.",
    "suggest.capacity": "Sales capacity {target:g} MQLs per week: the lowest threshold that stays within it.",
    "suggest.unmet": "The target cannot be met; this is the closest threshold.",
    "suggest.line": "**score ≥ {threshold}** → {mqls} MQLs ({share} of leads), precision {precision}, "
    "recall {recall}, lift {lift}×.",
    "suggest.hot": "Hot flag (HQL): score ≥ {hot} (about the top 5 % of leads).",
    "current.at": "At its own threshold (score ≥ {threshold}): {mqls} MQLs, precision {precision}, recall {recall}.",
    "current.other": "Its MQL criteria are not a plain score threshold, so the table shows what thresholds on its "
    "score would do.",
    "chart.lift": "Lift: converters captured in the top of the ranking",
    "chart.calibration": "Calibration: predicted vs observed conversion",
    "chart.thresholds": "Precision, recall and MQL share by threshold",
    "axis.top_share": "Top share of leads by score",
    "axis.captured": "Share of converters captured",
    "axis.predicted": "Predicted conversion",
    "axis.observed": "Observed conversion",
    "axis.threshold": "MQL threshold (points)",
    "measure.precision": "Precision",
    "measure.recall": "Recall",
    "measure.share": "MQL share",
    "points.note": "{per_doubling} points double the odds of reaching the target. For each trait the least "
    "promising value gets 0. Fitted on all {leads} leads; the figures above are cross-validated.",
    "points.engine": "Check: the real engine replaying the proposed agreement gives {agree} of {total} "
    "leads (those whose whole history the table saw) exactly the score this table gives.",
    "points.decay": "The agreement's decay makes older events count less in the engine, so the engine's "
    "scores differ from the table's for leads with old events; the ranking is what was evaluated.",
    "points.effective": "Engagement rules with `max_count` add up per event type as shown in the last column.",
    "backtest.command": "Back-test the proposal on the same history:",
    "backtest.none": "Back-test summary: not run here.",
    "backtest.mqls": "MQL hand-overs",
    "backtest.mql_leads": "Leads handed over",
    "backtest.to_sql": "MQL→SQL",
    "backtest.to_customer": "MQL→customer",
    "backtest.reached": "Handed-over leads that reached the target (recorded outcome)",
    "backtest.changes": "Leads whose hand-over changes: {changes}.",
    "backtest.in_sample": "The proposed table was fitted on these same leads, so its back-test volume is "
    "in-sample; the cross-validated estimate for new leads is the threshold table above.",
    "backtest.outcome_note": "Imported histories record outcomes as a trait, not as SQL/customer stages, so the "
    "back-test's MQL→SQL and MQL→customer rows stay at 0 for them; the last row counts the recorded outcomes.",
    "method.text": "Candidate rules come from the traits (one rule per value or range) and event types "
    "(engagement rules with max_count) present before each lead's first sales action. The point table is an "
    "L2-regularised logistic regression on those rules, scaled to whole points; the predictive model is "
    "scikit-learn HistGradientBoosting. See docs/calibration.md.",
    "method.features": "Features used by the model: {features}.",
    "method.notes": "Left out: {notes}.",
    "files": "Files",
}

_JA: Final = {
    "title": "スコア較正レポート",
    "h.data": "データ",
    "h.headline": "各スコアの順位付け性能(交差検証)",
    "h.time": "時系列での検証",
    "h.leakage": "リーク防止チェック",
    "h.suggestion": "推奨MQL閾値",
    "h.thresholds": "閾値表(推奨ポイント表)",
    "h.current": "閾値表(現行の合意)",
    "h.charts": "グラフ",
    "h.points": "推奨ポイント表",
    "h.fit": "属性ルール(Fit)",
    "h.engagement": "行動ルール(Engagement)",
    "h.backtest": "バックテスト:提案を適用していたら何が変わったか",
    "h.method": "方法",
    "data.leads": "結果が分かっているリード {leads} 件のうち {positives} 件が **{target}** に到達({rate})。",
    "data.unlabelled": "結果が不明なリード {n} 件は除外しました。",
    "data.sgl": "営業起点リード(create_sgl){n} 件は除外しました(マーケティングのスコア対象外)。",
    "data.dropped": "最初の営業アクション以降に記録された属性・イベント {n} 件は使っていません。",
    "data.weeks": "リードの作成期間は {weeks:.1f} 週間です。",
    "data.window": "属性とイベントは各リードの最初の営業アクションまで、かつ作成から最大 {days:g} 日までを"
    "数えています(全リードを同程度の期間で比べるため。`--window-days` で変更可)。",
    "data.small": "**サンプルが少なめです:** 少ない側の結果のリードは {n} 件だけです。数値は標本によって数ポイント"
    "変わり得ます。合意の前に履歴を増やしてください。",
    "col.score": "スコア",
    "col.auc": "ROC AUC",
    "col.top20": "上位20%での捕捉率",
    "col.brier": "Brier",
    "col.threshold": "MQL閾値",
    "col.mqls": "MQL数",
    "col.share": "リード比率",
    "col.per_week": "週あたりMQL",
    "col.precision": "適合率",
    "col.recall": "再現率",
    "col.lift": "リフト",
    "col.rule": "ルール",
    "col.points": "点数",
    "col.id": "ID",
    "col.feature": "特徴量",
    "col.reason": "理由",
    "col.excluded": "除外",
    "col.effective": "イベント回数ごとの点数",
    "col.measure": "指標",
    "col.current": "現行",
    "col.proposed": "提案",
    "col.train": "学習(古いリード)",
    "col.test": "検証(新しいリード)",
    "series.model": "予測モデル",
    "series.points": "推奨ポイント表",
    "series.current": "現行の合意",
    "series.random": "ランダム",
    "series.ideal": "理論上の最良",
    "headline.note": "数値はすべてアウトオブフォールド({folds}分割の層化交差検証、シード {seed}):各リードは"
    "そのリードを学習に使っていないモデルで採点しています。基準率 {rate}、上位20%捕捉率の上限は {ceiling}。",
    "time.note": "古いリードで学習し新しいリードで検証:ROC AUC はモデル {model}、ポイント表 {points}。",
    "leakage.none": "該当する特徴量はありません。",
    "leakage.note": "除外した特徴量はポイント表にもモデルにも使いません。あえて使う場合は `--allow 名前`、"
    "さらに除外する場合は `--exclude 名前` を指定します。",
    "leakage.post_contact": "営業接触後に入力される項目",
    "leakage.near_perfect": "単独でほぼ完全に予測できる項目",
    "yes": "はい",
    "no": "いいえ(許可)",
    "suggest.f1": "目標が指定されていないため、適合率と再現率のバランス(F1最大)で選びました。"
    "`--precision P` または `--capacity 週あたり件数` で目標を指定できます。",
    "suggest.precision": "目標適合率 {target:.0%}:MQLの成約率がこれ以上になる最も低い閾値。",
    "suggest.capacity": "営業の処理能力 週 {target:g} 件:この件数に収まる最も低い閾値。",
    "suggest.unmet": "目標は達成できません。最も近い閾値を示します。",
    "suggest.line": "**スコア ≥ {threshold}** → MQL {mqls} 件(リードの {share})、適合率 {precision}、"
    "再現率 {recall}、リフト {lift} 倍。",
    "suggest.hot": "ホットフラグ(HQL):スコア ≥ {hot}(上位約5%)。",
    "current.at": "現行の閾値(スコア ≥ {threshold})では MQL {mqls} 件、適合率 {precision}、再現率 {recall}。",
    "current.other": "現行のMQL条件は単純なスコア閾値ではないため、スコアに閾値を置いた場合を示します。",
    "chart.lift": "リフト:スコア上位で捕捉できる成約リードの割合",
    "chart.calibration": "キャリブレーション:予測と実績の成約率",
    "chart.thresholds": "閾値ごとの適合率・再現率・MQL比率",
    "axis.top_share": "スコア上位のリード比率",
    "axis.captured": "捕捉した成約リードの割合",
    "axis.predicted": "予測成約率",
    "axis.observed": "実績成約率",
    "axis.threshold": "MQL閾値(点)",
    "measure.precision": "適合率",
    "measure.recall": "再現率",
    "measure.share": "MQL比率",
    "points.note": "{per_doubling} 点で到達オッズが2倍になる尺度です。各属性で最も見込みの低い値を0点としています。"
    "全 {leads} 件で学習した表で、上の数値は交差検証によるものです。",
    "points.engine": "確認:提案した合意を実際のエンジンで再生すると、"
    "{total} 件(履歴全体を表が見たリード)中 {agree} 件でこの表と同じスコアになります。",
    "points.decay": "合意の減衰設定により古いイベントはエンジン上で低く数えられるため、古いイベントを持つリードでは"
    "表のスコアと異なります。評価したのは順位付けです。",
    "points.effective": "`max_count` のある行動ルールはイベント種別ごとに最後の列のように合算されます。",
    "backtest.command": "同じ履歴で提案をバックテストするには:",
    "backtest.none": "バックテストの要約:ここでは実行していません。",
    "backtest.mqls": "MQL引き渡し数",
    "backtest.mql_leads": "引き渡したリード数",
    "backtest.to_sql": "MQL→SQL",
    "backtest.to_customer": "MQL→受注",
    "backtest.reached": "引き渡したリードのうち目標に到達したもの(記録された成果)",
    "backtest.changes": "引き渡しが変わるリード:{changes}。",
    "backtest.in_sample": "提案したポイント表はこの同じリードで学習しているため、"
    "バックテストの件数は学習データ上の値です。新しいリードに対する交差検証の推定値は上の閾値表です。",
    "backtest.outcome_note": "取り込んだ履歴では成果を属性として記録しており SQL/受注ステージを経ないため、"
    "MQL→SQL・MQL→受注の行は 0 のままです。最後の行は記録された成果で数えています。",
    "method.text": "候補ルールは、各リードの最初の営業アクションより前の属性(値・範囲ごとに1ルール)とイベント種別"
    "(max_count 付き行動ルール)から作ります。ポイント表はそのルールに対するL2正則化ロジスティック回帰を整数点に"
    "換算したもの、予測モデルは scikit-learn の HistGradientBoosting です。詳細は docs/calibration.md。",
    "method.features": "モデルが使った特徴量:{features}。",
    "method.notes": "使わなかった項目:{notes}。",
    "files": "ファイル",
}

WORDS: Final[dict[Lang, dict[str, str]]] = {"en": _EN, "ja": _JA}


def words_for(lang: Lang) -> dict[str, str]:
    return WORDS[lang]
