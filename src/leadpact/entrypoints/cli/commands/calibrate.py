"""``leadpact calibrate EVENTS``: a signable point table and MQL threshold learnt from the
company's own outcomes, with the evidence (report, charts, proposed agreement, back-test)."""

from __future__ import annotations

import base64
import hashlib
import json
import shlex
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from leadpact.adapters.agreement_yaml import default_agreement_text, load_agreement_text
from leadpact.domain.agreement import Agreement
from leadpact.entrypoints.cli.commands._moments import parse_as_of
from leadpact.entrypoints.cli.commands.agreement import load_agreement_or_exit
from leadpact.entrypoints.cli.commands.report import LangOpt, Language, read_events
from leadpact.entrypoints.cli.output import fail, progress
from leadpact.service.labels import Lang

if TYPE_CHECKING:  # scikit-learn and Altair load only when calibrate runs (CLI start-up stays fast)
    from leadpact.service.calibration import CalibrationReport
    from leadpact.service.calibration.report import Image


class Target(StrEnum):
    customer = "customer"
    sql = "sql"


CHARTS = ("lift", "calibration", "thresholds")


def calibrate_command(
    events: Annotated[str, typer.Argument(help="Events as JSONL (e.g. from leadpact import-csv); - for stdin.")],
    agreement: Annotated[
        str | None,
        typer.Option(
            "--agreement", "-a", help="The current agreement: its rules are re-weighted and its threshold measured."
        ),
    ] = None,
    target: Annotated[
        Target, typer.Option("--target", help="The outcome to predict: became a customer, or reached SQL.")
    ] = Target.customer,
    precision: Annotated[
        float | None,
        typer.Option("--precision", min=0.0, max=1.0, help="Suggest the threshold for this MQL precision (e.g. 0.6)."),
    ] = None,
    capacity: Annotated[
        float | None,
        typer.Option("--capacity", min=0.0, help="Suggest the threshold for this many MQLs per week sales can take."),
    ] = None,
    period_weeks: Annotated[
        float | None,
        typer.Option("--period-weeks", min=0.0, help="Weeks the history covers (when creation dates don't tell)."),
    ] = None,
    window_days: Annotated[
        float | None,
        typer.Option(
            "--window-days",
            min=0.0,
            help="Count each lead's events up to this many days after creation. "
            "Default: the time within which 90% of contacted leads were contacted.",
        ),
    ] = None,
    folds: Annotated[int, typer.Option("--folds", min=2, max=20, help="Cross-validation folds (stratified).")] = 5,
    seed: Annotated[int, typer.Option("--seed", help="Random seed for the folds and the model.")] = 0,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="Keep this feature although the leakage guard flags it (repeatable)."),
    ] = None,
    exclude: Annotated[
        list[str] | None, typer.Option("--exclude", help="Treat this trait as filled after sales contact (repeatable).")
    ] = None,
    leak_auc: Annotated[
        float,
        typer.Option("--leak-auc", min=0.5, max=1.0, help="Flag single features with a CV AUC at least this high."),
    ] = 0.9,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Evaluate as of this moment (ISO 8601). Default: the newest event.")
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Folder for the report, charts and proposed agreement.")
    ] = Path("calibration"),
    predictions_out: Annotated[
        Path | None, typer.Option("--predictions-out", help="Write each lead's model score and top factors (JSONL).")
    ] = None,
    store: Annotated[
        bool,
        typer.Option(
            "--store",
            help="Store each lead's model score and top factors in the configured store (LEADPACT_DATABASE_URL), "
            "replacing earlier ones; GET /v1/leads/{id} shows it beside the rule score.",
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON object with the figures instead of the summary.")
    ] = False,
    lang: LangOpt = Language.ja,
    strict: Annotated[bool, typer.Option("--strict", help="Exit 2 on any bad event line.")] = False,
) -> None:
    """Cross-validate a predictive model and an integer point table on EVENTS' outcomes, suggest
    an MQL threshold (for --precision, --capacity, or the best F1), and write the report
    (Markdown + HTML with charts), the proposed agreement YAML and the back-test command."""
    from leadpact.service.calibration import STEPS, CalibrationError, CalibrationOptions, calibrate
    from leadpact.service.calibration.backtest_summary import backtest_summary

    if precision is not None and capacity is not None:
        fail("give either --precision or --capacity, not both")
    current, current_text = _current(agreement)
    messages = read_events(events, strict=strict)
    options = CalibrationOptions(
        target=target.value,
        folds=folds,
        seed=seed,
        precision=precision,
        capacity_per_week=capacity,
        period_weeks=period_weeks,
        leak_auc=leak_auc,
        allow=frozenset(allow or ()),
        exclude=frozenset(exclude or ()),
        as_of=parse_as_of(as_of) if as_of is not None else None,
        explain=predictions_out is not None or store,
        window_days=window_days,
    )
    try:
        with progress("Calibrating", STEPS) as bar:
            task = bar.task_ids[0]

            def step(description: str) -> None:
                bar.update(task, description=description, advance=1)

            report = calibrate(messages, options, agreement=current, agreement_text=current_text, on_step=step)
    except CalibrationError as exc:
        fail(f"{events}: {exc}")
    base = current if current is not None else load_agreement_text(default_agreement_text(), "default_agreement.yaml")
    with progress("Back-testing the proposal", total=None):
        when = options.as_of if options.as_of is not None else max((m.ts for m in messages), default=0)
        backtest = backtest_summary(messages, base, report.proposed, report.outcomes, when)
        backtest["outcomes_as_traits"] = report.outcomes_from_traits
    files = _write_outputs(report, out, events, agreement, predictions_out, lang.value, backtest)
    stored = _store_predictions(report) if store else None
    if as_json:
        extra = {"stored_model_scores": stored} if stored is not None else {}
        summary = {**report.summary(), "backtest": backtest, "files": files, **extra}
        typer.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        typer.echo(_text_summary(report, files, backtest))
        if stored is not None:
            typer.echo(f"Stored {stored['leads']} model scores ({stored['model']}) in {stored['store']}")


def _store_predictions(report: CalibrationReport) -> dict[str, Any]:
    """Write every lead's model score into ``model_scores`` (one transaction: all or none)."""
    from sqlalchemy.exc import SQLAlchemyError

    from leadpact.adapters.store.model_scores_repo import ModelScore, ModelScoresRepo
    from leadpact.entrypoints.cli.commands.db import EXIT_STORE, open_services, shown_url
    from leadpact.service.calibration import prediction_json
    from leadpact.service.clock import SystemClock

    model = model_name(report)
    now = SystemClock().now_us()
    scores = []
    for prediction in report.predictions:
        shown = prediction_json(prediction)  # factors as in --predictions-out: feature, value, effect
        scores.append(
            ModelScore(
                prediction.lead_id,
                model,
                report.target,
                prediction.model_score,
                shown["top_positive"],
                shown["top_negative"],
                now,
            )
        )
    services = open_services()
    try:
        with services.store.write() as conn:
            count = ModelScoresRepo(conn).upsert_many(scores)
    except SQLAlchemyError as exc:
        fail(f"cannot store the model scores: {str(exc).splitlines()[0]}", EXIT_STORE)
    finally:
        services.close()
    return {"leads": count, "model": model, "store": shown_url(services.settings.database_url)}


def model_name(report: CalibrationReport) -> str:
    """``hgb-`` (HistGradientBoosting) and a digest of the fit's output: the same events and
    options give the same name, so two stored scores can be told apart or matched."""
    from leadpact.service.calibration import prediction_json

    payload = json.dumps([report.target, [prediction_json(p) for p in report.predictions]], sort_keys=True)
    return "hgb-" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:12]


def _current(path: str | None) -> tuple[Agreement | None, str | None]:
    if path is None:
        return None, None
    parsed = load_agreement_or_exit(path)
    if path == "-":
        fail("--agreement: give a file (its text is needed to write the proposal), not stdin")
    try:
        return parsed, Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc}")


def _write_outputs(
    report: CalibrationReport,
    out: Path,
    events: str,
    agreement: str | None,
    predictions_out: Path | None,
    lang: Lang,
    backtest: dict[str, Any],
) -> dict[str, str]:
    from leadpact.service.calibration import prediction_json
    from leadpact.service.calibration.report import ReportInputs, build, to_html, to_markdown

    try:
        out.mkdir(parents=True, exist_ok=True)
        files: dict[str, str] = {}
        current_file = agreement
        if current_file is None:
            base = out / "base-agreement.yaml"
            base.write_text(default_agreement_text(), encoding="utf-8")
            files["base_agreement"] = current_file = str(base)
        proposed = out / "proposed-agreement.yaml"
        proposed.write_text(report.proposed_yaml, encoding="utf-8")
        files["proposed_agreement"] = str(proposed)
        command = shlex.join(["leadpact", "backtest", current_file, str(proposed), events])
        files["backtest_command"] = command
        with progress("Drawing charts", total=None):
            images = _charts(report, out, lang)
        files.update({f"chart_{name}": str(out / image.file) for name, image in zip(CHARTS, images, strict=True)})
        blocks = build(report, ReportInputs(events, str(proposed), command, images, backtest), lang)
        (out / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
        (out / "report.html").write_text(to_html(blocks, lang), encoding="utf-8")
        files["report_md"] = str(out / "report.md")
        files["report_html"] = str(out / "report.html")
        if predictions_out is not None:
            lines = "".join(json.dumps(prediction_json(p), ensure_ascii=False) + "\n" for p in report.predictions)
            predictions_out.write_text(lines, encoding="utf-8")
            files["predictions"] = str(predictions_out)
    except OSError as exc:
        fail(f"{out}: cannot write the report: {exc.strerror or exc}")
    return files


def _charts(report: CalibrationReport, out: Path, lang: Lang) -> list[Image]:
    """The three charts as PNG beside the report (embedded in the HTML as data URIs)."""
    from leadpact.adapters.charts import ChartError, japanese_font, save_chart
    from leadpact.service.calibration.charts import calibration_chart, lift_chart, threshold_chart
    from leadpact.service.calibration.report import Image
    from leadpact.service.calibration.words import words_for

    font = japanese_font() if lang == "ja" else None
    if lang == "ja" and font is None:
        typer.echo(
            "warning: no Japanese font found (e.g. apt-get install fonts-noto-cjk); charts are labelled in English",
            err=True,
        )
        lang = "en"
    words = words_for(lang)
    specs = {
        "lift": lift_chart(report.lifts, report.base_rate, words),
        "calibration": calibration_chart(report.calibration, words),
        "thresholds": threshold_chart(report.threshold_table, report.suggestion.row.threshold, words),
    }
    images: list[Image] = []
    for name in CHARTS:
        chart = specs[name].configure(font=font) if font else specs[name]
        path = out / f"{name}.png"
        try:
            save_chart(chart, path)
        except ChartError as exc:
            fail(str(exc))
        uri = "data:image/png;base64," + base64.b64encode(path.read_bytes()).decode("ascii")
        images.append(Image(words[f"chart.{name}"], path.name, uri))
    return images


def _figures(name: str, auc: float, capture: float, brier: float | None) -> str:
    tail = f"  Brier {brier:.3f}" if brier is not None else ""
    return f"  {name:<18} ROC AUC {auc:.3f}  top-20% capture {capture:.3f}{tail}"


def _text_summary(report: CalibrationReport, files: dict[str, str], backtest: dict[str, Any]) -> str:
    row = report.suggestion.row
    lines = [
        f"{report.leads} leads, {report.positives} reached {report.target} ({report.base_rate:.1%}); "
        f"{report.folds}-fold cross-validated:",
        _figures("predictive model", report.model.auc, report.model.top20_capture, report.model.brier),
        _figures("point table", report.points.auc, report.points.top20_capture, report.points.brier),
    ]
    if report.current is not None:
        lines.append(
            f"  current agreement  ROC AUC {report.current.auc:.3f}  top-20% capture {report.current.top20_capture:.3f}"
        )
    if report.small_sample:
        lines.append(f"  note: only {report.minority} leads in the rarer outcome; these figures are uncertain")
    excluded = [f.feature for f in report.leakage if f.excluded]
    if excluded:
        lines.append(f"Leakage guard excluded: {', '.join(excluded)}")
    lines.append(
        f"Suggested MQL threshold: score >= {row.threshold:g} ({report.suggestion.rule}): {row.mqls} MQLs, "
        f"precision {row.precision:.1%}, recall {row.recall:.1%}, lift {row.lift:.2f}"
    )
    if not report.suggestion.met:
        lines.append(f"  note: {report.suggestion.note}")
    cur, prop = backtest["current"], backtest["proposed"]
    lines.append(f"Back-test: MQL hand-overs {cur['mql']} -> {prop['mql']} ({cur['agreement']} -> {prop['agreement']})")
    lines.append(f"Report: {files['report_html']} (and {files['report_md']})")
    lines.append(f"Proposed agreement: {files['proposed_agreement']}")
    if "predictions" in files:
        lines.append(f"Per-lead predictions: {files['predictions']}")
    lines.append(f"Back-test it: {files['backtest_command']}")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.command("calibrate")(calibrate_command)
