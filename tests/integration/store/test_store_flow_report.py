"""The per flow / per step nurture report over the store (SQLite and PostgreSQL): the same
figures as ``flows report`` on the store's log exported to a file, at any moment, and kept up
to date by re-evaluating only the leads that changed or whose runs fell due.

History (Tokyo time, the shipped ``whitepaper_webinar`` flow: 7 days → invitation → attended
within 14 days? → goal; the agreement scores the goal 20 points):

* ``a`` downloads the whitepaper Mon 5 Jan; the invitation is recorded sent Tue 13 Jan 09:01
  (12 Jan is a holiday), opened and clicked; attends Thu 15 Jan → goal → MQL.
* ``b`` downloads Mon 5 Jan; invitation sent, never opened; leaves at the branch on 27 Jan.
* ``c`` browses anonymously, downloads before identifying itself: never enters.
* ``d`` has no e-mail address: walks past the invitation without mail.
* ``e`` only reads the blog: never a candidate.
* ``f`` downloads Mon 26 Jan: still waiting on 28 Jan.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from store_checks import ingest

from leadpact.adapters.agreement_yaml import default_agreement_text, load_agreement_text
from leadpact.adapters.flow_yaml import example_flow_path, load_flow
from leadpact.adapters.store.event_log import EventLog
from leadpact.domain.agreement import Agreement
from leadpact.domain.flow_runs import ActiveFlow
from leadpact.domain.messages import MessageError
from leadpact.domain.timeutil import iso, parse_iso, to_us
from leadpact.service.container import Services
from leadpact.service.flows import ReportedFlow
from leadpact.service.nurture.report import stats_json
from leadpact.service.nurture.simulate import live_status
from leadpact.service.nurture.store_report import FlowReportService

FLOW = load_flow(example_flow_path())
ACTIVATED = "2026-01-01T00:00:00+09:00"
STAFF = {"job_level": "staff", "employees": 50}
MAIL = {"flow": "whitepaper_webinar", "flow_version": "1", "run": 1, "step": "invite"}
TOKYO = ZoneInfo("Asia/Tokyo")
_n = iter(range(1, 10_000))


def at(day: int, hour: int = 0, minute: int = 0) -> str:
    month, day = (1, day) if day <= 31 else (2, day - 31)
    return f"2026-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00+09:00"


def us(text: str) -> int:
    return to_us(parse_iso(text))


def msg(kind: str, when: str, user: str | None = "a", **fields: Any) -> dict[str, Any]:
    ids: dict[str, Any] = {"userId": user} if user is not None else {}
    return {"type": kind, "messageId": f"m-{next(_n)}", "timestamp": when, **ids, **fields}


def who(user: str, day: int, email: bool = True) -> dict[str, Any]:
    traits = {**STAFF, **({"email": f"{user}@buyer.example"} if email else {})}
    return msg("identify", at(day, 9), user, traits=traits)


def download(user: str | None, day: int, **fields: Any) -> dict[str, Any]:
    return msg("track", at(day, 11), user, event="Whitepaper Downloaded", **fields)


def history() -> list[dict[str, Any]]:
    return [
        who("a", 5),
        download("a", 5),
        msg("track", at(13, 9, 1), "a", event="Email Sent", properties=MAIL),
        msg("track", at(13, 10), "a", event="Email Opened", properties=MAIL),
        msg("track", at(13, 10, 1), "a", event="Email Link Clicked", properties={**MAIL, "url": "https://x.example"}),
        msg("track", at(15, 15), "a", event="Webinar Attended"),
        who("b", 5),
        download("b", 5),
        msg("track", at(13, 9, 2), "b", event="Email Sent", properties=MAIL),
        msg("page", at(6, 10), None, anonymousId="anon-c", properties={"path": "/whitepaper"}),
        download(None, 6, anonymousId="anon-c"),
        {**who("c", 8), "anonymousId": "anon-c"},
        who("d", 5, email=False),
        download("d", 5),
        who("e", 5),
        msg("page", at(7, 10), "e", properties={"path": "/blog/dx"}),
        who("f", 26),
        download("f", 26),
    ]


def agreement_text() -> str:
    data = yaml.safe_load(default_agreement_text())
    data["version"] = "2026.1-nurture"
    data["engagement"].append(
        {"id": "nurture_goal", "if": {"type": "track", "event": "Nurture Goal Reached"}, "points": 20}
    )
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def activate_agreement(services: Services) -> Agreement:
    text = agreement_text()
    services.agreements.upload(text, "nurture.yaml", "setup", 0)
    services.agreements.activate("2026.1-nurture", "setup", 0)
    return load_agreement_text(text, "nurture.yaml")


def flows(active: Sequence[ActiveFlow | ReportedFlow] = (ActiveFlow(FLOW, active_from=us(ACTIVATED)),)) -> Any:
    return lambda now: active


def reference(services: Services, agreement: Agreement, as_of: int) -> list[dict[str, Any]]:
    """``flows report`` on the store's log exported to a file."""
    with services.store.read() as conn:
        messages = [m for m in EventLog(conn).all_messages() if m.ts <= as_of]
    return stats_json(live_status(messages, agreement, [FLOW], as_of, us(ACTIVATED)).stats)


def comparable(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's flows without what only the store knows (windows) or the language adds."""
    return [
        {
            k: v
            for k, v in flow.items()
            if k not in ("active_from", "active_until", "stopped_at", "stopped_by", "ended_labels")
        }
        | {"steps": [{k: v for k, v in step.items() if k != "kind_label"} for step in flow["steps"]]}
        for flow in data["flows"]
    ]


def steps(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {step["step"]: step for step in data["steps"]}


@pytest.fixture
def agreement(services: Services) -> Agreement:
    activated = activate_agreement(services)
    ingest(services, history())
    return activated


def test_the_store_report_equals_flows_report_on_the_exported_log(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    # the current report moves the kept per-lead parts forward; a given moment is computed apart
    for moment in (at(10), at(14), at(28), at(55)):
        data = reports.current(us(moment)).to_json("en")
        assert comparable(data) == reference(services, agreement, us(moment)), moment
    for moment in (at(14, 12), at(5, 12), at(59)):
        data = reports.at(us(moment)).to_json("en")
        assert comparable(data) == reference(services, agreement, us(moment)), moment
    (flow,) = reports.current(us(at(28))).to_json("ja")["flows"]
    assert (flow["entered"], flow["active"], flow["goal"], flow["mql_after"]) == (4, 1, 1, 1)
    invite = steps(flow)["invite"]
    assert (invite["reached"], invite["sent"], invite["opened"], invite["clicked"]) == (3, 2, 1, 1)
    assert (invite["goal"], invite["mql_after"]) == (1, 1)
    assert (invite["sent_rate"], invite["open_rate"], invite["click_rate"]) == (pytest.approx(2 / 3), 0.5, 0.5)
    assert (flow["goal_rate"], invite["kind_label"]) == (0.25, "メール送信")
    assert flow["active_from"] == "2026-01-01T00:00:00+09:00"
    assert flow["ended_labels"] == {"branch": "分岐で終了", "completed": "完了"}


def test_a_report_as_of_a_past_moment_ignores_later_opens(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    current = reports.current(us(at(28)))
    evaluated = reports.evaluated
    (early,) = reports.at(us(at(13, 9, 30))).stats
    assert (steps_of(early)["invite"].sent, steps_of(early)["invite"].opened) == (2, 0)
    assert early.goal == 0
    assert reports.at(us(at(13, 9, 30))).stats == (early,), "kept for the same store and moment"
    assert reports.evaluated == evaluated + 6
    assert reports.current(us(at(28))) is current, "the current report was left alone"


def steps_of(stats: Any) -> dict[str, Any]:
    return {step.step_id: step for step in stats.steps}


def test_new_events_re_evaluate_only_the_leads_they_touch(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    moment = us(at(28))
    before = reports.current(moment)
    first = reports.evaluated
    assert first == 6, "every lead with events is looked at once"
    assert reports.current(moment) is before, "nothing changed: the kept figures"
    assert reports.evaluated == first
    ingest(services, [msg("track", at(14, 8), "b", event="Email Opened", properties={**MAIL})])
    after = reports.current(moment)
    assert reports.evaluated == first + 1
    assert steps_of(after.stats[0])["invite"].opened == 2
    assert comparable(after.to_json()) == reference(services, agreement, moment)


def test_time_passing_re_evaluates_only_leads_whose_runs_fell_due(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    reports.current(us(at(20)))
    first = reports.evaluated
    reports.current(us(at(20, 1)))
    assert reports.evaluated == first, "nothing was due within the hour"
    later = reports.current(us(at(28)))
    # the branch windows of b and d ended (27 Jan) and f's events (26 Jan) are now in the past:
    # those three are evaluated again; a (finished), c and e (never entered) are not
    assert reports.evaluated == first + 3
    assert later.stats[0].ended == {"branch": 2, "completed": 1}


def test_a_flow_filter_and_an_unknown_flow(services: Services, agreement: Agreement) -> None:
    other = load_flow(example_flow_path())
    reports = FlowReportService(
        services.store,
        services.agreements,
        flows([ActiveFlow(FLOW, active_from=us(ACTIVATED)), ActiveFlow(_renamed(other), active_from=us(at(27)))]),
        background=False,
    )
    full = reports.current(us(at(28)))
    assert [s.flow_id for s in full.stats] == ["whitepaper_webinar", "webinar_copy"]
    only = reports.current(us(at(28)), "webinar_copy")
    assert [(s.flow_id, s.entered) for s in only.stats] == [("webinar_copy", 0)]
    with pytest.raises(MessageError) as raised:
        reports.current(us(at(28)), "nope")
    assert raised.value.field == "flow"
    assert "whitepaper_webinar, webinar_copy" in str(raised.value)


def _renamed(flow: Any) -> Any:
    from dataclasses import replace

    return replace(flow, id="webinar_copy")


def test_no_activated_flow_gives_an_empty_report(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(()), background=False)
    report = reports.current(us(at(28)))
    assert (report.stats, report.to_json()["flows"]) == ((), [])
    assert reports.evaluated == 0


def test_a_new_agreement_starts_afresh(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    assert reports.current(us(at(28))).stats[0].mql_after == 1
    services.agreements.upload(default_agreement_text(), "default.yaml", "setup", 1)
    services.agreements.activate(yaml.safe_load(default_agreement_text())["version"], "setup", 1)
    again = reports.current(us(at(28)))
    assert again.agreement.version == "2026.1"
    assert again.stats[0].mql_after == 0, "without the goal rule nobody reaches MQL"


def test_flow_versions_activated_in_the_store_are_reported(services: Services, agreement: Agreement) -> None:
    text = example_flow_path().read_text(encoding="utf-8")
    services.flows.upload(text, "whitepaper_webinar.yaml", "mkt_ono", us(ACTIVATED))
    services.flows.activate("whitepaper_webinar", "1", "mkt_ono", us(ACTIVATED))
    reports = FlowReportService(services.store, services.agreements, services.flows.active_flows, background=False)
    data = reports.current(us(at(28))).to_json()
    assert comparable(data) == reference(services, agreement, us(at(28)))
    assert [(f["flow"], f["active_from"], f["entered"]) for f in data["flows"]] == [
        ("whitepaper_webinar", "2026-01-01T00:00:00+09:00", 4)
    ]
    assert reports.at(us("2025-12-31T00:00:00+09:00")).stats == (), "not yet activated then"


def test_a_late_earlier_identity_link_moves_a_download_to_another_lead(
    services: Services, agreement: Agreement
) -> None:
    """``h1`` claims the anonymous visitor first, then a message linking it to ``h2`` earlier
    arrives: the download moves from ``h1`` (which gets no event of its own) to ``h2``."""
    ingest(
        services,
        [
            who("h1", 5),
            who("h2", 5),
            download(None, 6, anonymousId="anon-x"),
            {**msg("page", at(7, 9), "h1", properties={"path": "/"}), "anonymousId": "anon-x"},
        ],
    )
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    before = reports.current(us(at(28)))
    assert comparable(before.to_json()) == reference(services, agreement, us(at(28)))
    assert before.stats[0].entered == 5, "a, b, d, f and h1"
    ingest(services, [{**msg("page", at(5, 10), "h2", properties={"path": "/"}), "anonymousId": "anon-x"}])
    after = reports.current(us(at(28)))
    assert comparable(after.to_json()) == reference(services, agreement, us(at(28)))
    assert after.stats[0].entered == 5, "h2 instead of h1"


def test_a_clock_set_back_gets_a_report_for_its_moment(services: Services, agreement: Agreement) -> None:
    reports = FlowReportService(services.store, services.agreements, flows(), background=False)
    later = reports.current(us(at(28)))
    earlier = reports.current(us(at(14)))
    assert comparable(earlier.to_json()) == reference(services, agreement, us(at(14)))
    assert earlier.stats[0].entered == 3 and later.stats[0].entered == 4
    assert reports.current(us(at(28))) is later


# --- a deactivated flow -------------------------------------------------------------------------

STOP = at(14)
"""Marketing stops the flow on Wed 14 Jan 00:00: a, b (invitations sent, a's opened and clicked)
and d (no address) wait at the branch; a's webinar (15 Jan) and f's download (26 Jan) come after."""


def store_flow(services: Services, version: str = "1", when: str = ACTIVATED) -> None:
    text = example_flow_path().read_text(encoding="utf-8").replace('version: "1"', f'version: "{version}"')
    services.flows.upload(text, f"whitepaper_webinar_{version}.yaml", "mkt_ono", us(when))
    services.flows.activate("whitepaper_webinar", version, "mkt_ono", us(when))


def store_reports(services: Services) -> FlowReportService:
    return FlowReportService(services.store, services.agreements, services.flows.reported_flows, background=False)


def test_a_deactivated_flow_stays_in_the_report_with_its_runs_up_to_the_stop(
    services: Services, agreement: Agreement
) -> None:
    store_flow(services)
    reports = store_reports(services)
    (running,) = reports.current(us(at(13, 12))).to_json("en")["flows"]
    assert (running["entered"], running["active"], running["stopped_at"], running["stopped_by"]) == (3, 3, None, None)

    assert services.flows.deactivate("whitepaper_webinar", "mkt_sato", us(STOP)).changed
    assert services.flows.active_flows(us(at(28))) == [], "the scheduler evaluates (and sends) nothing more"
    data = reports.current(us(at(28))).to_json("ja")
    assert data == store_reports(services).at(us(at(28))).to_json("ja"), "kept parts = computed afresh"
    (flow,) = data["flows"]
    assert (flow["stopped_at"], flow["stopped_by"]) == (STOP, "mkt_sato")
    assert (flow["active_from"], flow["active_until"]) == (ACTIVATED, STOP), "no entry after the stop"
    assert (flow["entered"], flow["active"], flow["goal"], flow["mql_after"]) == (3, 0, 0, 0), "f came too late"
    assert (flow["ended"], flow["ended_labels"]) == ({"stopped": 3}, {"stopped": "フロー停止"})
    invite = steps(flow)["invite"]
    assert (invite["reached"], invite["sent"], invite["opened"], invite["clicked"]) == (3, 2, 1, 1)
    # the runs are those in force just before the stop, the ones in progress ended by it
    (just_before,) = reference(services, agreement, us(STOP) - 1)
    assert (flow["entered"], flow["ended"]["stopped"]) == (just_before["entered"], just_before["active"])
    assert [(s["step"], s["reached"], s["goal"]) for s in flow["steps"]] == [
        (s["step"], s["reached"], s["goal"]) for s in just_before["steps"]
    ]

    # what happens to its mail and leads afterwards still counts: a late open, an MQL on 20 Jan
    evaluated = reports.evaluated
    ingest(
        services,
        [
            msg("track", at(16, 8), "b", event="Email Opened", properties=MAIL),
            msg("track", at(20, 10), "a", event="Contact Form Submitted"),
        ],
    )
    later = reports.current(us(at(28))).to_json("ja")
    assert reports.evaluated == evaluated + 2, "only a and b"
    assert later == store_reports(services).at(us(at(28))).to_json("ja")
    (flow,) = later["flows"]
    assert (steps(flow)["invite"]["opened"], flow["mql_after"], flow["goal"]) == (2, 1, 0)
    evaluated = reports.evaluated
    reports.current(us(at(40)))
    assert reports.evaluated == evaluated, "a stopped flow's runs never fall due"

    # as of a moment before the stop it is the flow in force; activated again it starts afresh
    (then,) = reports.at(us(at(13, 12))).to_json("en")["flows"]
    assert (then["stopped_at"], then["active"], then["active_until"]) == (None, 3, None)
    store_flow(services, "1", at(41))
    ingest(services, [who("g", 42), download("g", 42)])
    (afresh,) = reports.current(us(at(50))).to_json("en")["flows"]
    assert (afresh["active_from"], afresh["stopped_at"], afresh["stopped_by"]) == (at(41), None, None)
    assert (afresh["entered"], afresh["active"], afresh["ended"]) == (1, 1, {}), "g only: the new epoch"
    (stopped,) = reports.at(us(at(40))).to_json("en")["flows"]
    assert (stopped["stopped_at"], stopped["entered"], stopped["mql_after"]) == (STOP, 3, 1)


def test_reported_flows_give_the_last_epoch_of_a_stopped_flow(services: Services) -> None:
    def reported(now: str) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
        return [
            (
                r.flow.version,
                _iso(r.window.active_from),
                _iso(r.window.active_until),
                _iso(r.stopped_at),
                r.stopped_by,
            )
            for r in services.flows.reported_flows(us(now))
        ]

    store_flow(services, "1", at(2))
    store_flow(services, "2", at(4))
    assert reported(at(5)) == [("1", at(2), at(4), None, None), ("2", at(4), None, None, None)]
    services.flows.deactivate("whitepaper_webinar", "mkt_sato", us(at(6)))
    stopped = [("1", at(2), at(4), at(6), "mkt_sato"), ("2", at(4), at(6), at(6), "mkt_sato")]
    assert reported(at(7)) == stopped
    assert reported(at(5)) == [("1", at(2), at(4), None, None), ("2", at(4), None, None, None)]
    assert reported(at(1)) == []
    services.flows.activate("whitepaper_webinar", "1", "mkt_ono", us(at(8)))
    assert reported(at(9)) == [("1", at(8), None, None, None)], "the new epoch only"
    assert reported(at(7)) == stopped
    services.flows.deactivate("whitepaper_webinar", "mkt_ono", us(at(10)))
    assert reported(at(11)) == [("1", at(8), at(10), at(10), "mkt_ono")]
    assert services.flows.active_flows(us(at(11))) == [], "what the scheduler reads is unchanged"


def _iso(moment: int | None) -> str | None:
    return iso(moment, TOKYO) if moment is not None else None


def test_a_stopped_flow_beside_one_in_force_keeps_its_own_runs(services: Services, agreement: Agreement) -> None:
    copy = ActiveFlow(_renamed(load_flow(example_flow_path())), active_from=us(ACTIVATED))
    stopped = ReportedFlow(ActiveFlow(FLOW, us(ACTIVATED), us(STOP)), us(STOP), "mkt_sato")
    both = FlowReportService(services.store, services.agreements, flows([stopped, copy]), background=False)
    alone = [
        FlowReportService(services.store, services.agreements, flows([one]), background=False)
        for one in (stopped, copy)
    ]
    data = both.current(us(at(28))).to_json("en")
    assert [without_mql(f) for f in data["flows"]] == [
        without_mql(f) for one in alone for f in one.current(us(at(28))).to_json("en")["flows"]
    ]
    assert [(f["flow"], f["entered"], f["active"], f["stopped_at"], f["mql_after"]) for f in data["flows"]] == [
        ("whitepaper_webinar", 3, 0, STOP, 1),
        ("webinar_copy", 4, 1, None, 1),
    ], "a reached MQL through the copy's goal (15 Jan): afterwards for both flows it went through"


def without_mql(flow: dict[str, Any]) -> dict[str, Any]:
    def drop(data: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in data.items() if not k.startswith("mql")}

    return drop(flow) | {"steps": [drop(step) for step in flow["steps"]]}
