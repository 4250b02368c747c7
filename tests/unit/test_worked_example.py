"""A realistic spring-2026 history under the default agreement, computed by hand.

Every figure below is worked out in the comments from SPEC §4 (decay 90 days × 0.5, MQL at 50,
JP business days) and compared with the ``score --json`` objects (``lead_to_json``) exactly.
The only text not fixed by the spec — the wording of a refusal — is matched loosely.
"""

from __future__ import annotations

from typing import Any

from factories import action, default, identify, page, run, track

from leadpact.domain.results import lead_to_json
from leadpact.domain.timeutil import parse_iso, to_us

AS_OF = "2026-05-08T18:00:00+09:00"  # Friday after Golden Week


class Mentions:
    """Equal to any string that contains ``part`` (for free-text reasons)."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, str) and all(part in other for part in self.parts)

    def __repr__(self) -> str:
        return f"Mentions{self.parts!r}"


HISTORY: list[dict[str, Any]] = [
    # --- lead-a: Aiko, staff at a 120-person software company --------------------------------
    # fit = staff 5 + target_industry 10 + small_company 5 = 20
    identify(
        "lead-a",
        at="2026-01-09T10:00:00+09:00",
        message_id="a-identify",
        traits={"email": "aiko@smallsoft.example", "job_level": "staff", "industry": "software", "employees": 120},
    ),
    page("/products/crm", user="lead-a", at="2026-01-09T10:05:00+09:00", message_id="a-products"),  # 5
    track("Whitepaper Downloaded", user="lead-a", at="2026-01-09T10:10:00+09:00", message_id="a-whitepaper"),  # 15
    page("/blog/dx-2026", user="lead-a", at="2026-02-02T10:00:00+09:00", message_id="a-blog"),  # 2 → score 42
    # Webinar on Mon 27 Apr 14:00. Jan 9 → Apr 27 is 108 days (> 90): the January events count
    # half: products 2.5 + whitepaper 7.5; the blog is 84 days old: 2; webinar 20.
    # engagement 32 + fit 20 = 52 ≥ 50 → MQL at 14:00 (undecayed it would be 62: decay matters
    # for the score, not for this decision).
    track("Webinar Attended", user="lead-a", at="2026-04-27T14:00:00+09:00", message_id="a-webinar"),
    # first_contact started Mon 27 Apr: Tue 28 = 1, Wed 29 Shōwa Day, Thu 30 = 2, Fri 1 May = 3
    # → due Fri 1 May 23:59:59.999999. Contact on Thu 7 May: late → breached.
    action("contact", user="lead-a", at="2026-05-07T11:00:00+09:00", actor="is_ito", message_id="a-contact"),
    # --- lead-b: Bunta, director at a 3,000-person manufacturer, browsed anonymously first ----
    # fit = decision_maker 15 + target_industry 10 + large_company 10 = 35
    page("/pricing", user=None, anonymous="anon-b", at="2026-04-20T09:00:00+09:00", message_id="b-pricing"),  # 10
    identify(
        "lead-b",
        anonymous="anon-b",  # links the anonymous pricing visit: the lead is known from here
        at="2026-04-21T09:30:00+09:00",
        message_id="b-identify",
        traits={
            "email": "bunta@bigmfg.example",
            "job_level": "director",
            "industry": "manufacturing",
            "employees": 3000,
        },
    ),  # score 35 + 10 = 45: MAL
    # 45 + 25 = 70 ≥ 50 → MQL on Wed 22 Apr 16:00; 3,000 employees → enterprise_is, first turn: is_tanaka.
    track("Trade Show Booth Visited", user="lead-b", at="2026-04-22T16:00:00+09:00", message_id="b-tradeshow"),
    action("accept", user="lead-b", at="2026-04-23T10:00:00+09:00", actor="is_tanaka", message_id="b-accept"),
    # first_contact started Wed 22 Apr: Thu 23 = 1, Fri 24 = 2, Mon 27 = 3 → due Mon 27 Apr; met.
    action("contact", user="lead-b", at="2026-04-23T10:30:00+09:00", actor="is_tanaka", message_id="b-contact"),
    # Two distinct BANT items → SQL from SAL on Fri 24 Apr 15:00. meeting: Mon 27 = 1, Tue 28 = 2,
    # (Wed 29 Shōwa Day), Thu 30 = 3, Fri 1 May = 4, (Sat 2 – Wed 6: weekend and Golden Week),
    # Thu 7 May = 5 → due Thu 7 May 23:59:59.999999.
    action(
        "confirm_bant",
        user="lead-b",
        at="2026-04-24T15:00:00+09:00",
        actor="is_tanaka",
        items=["budget", "authority"],
        message_id="b-bant",
    ),
    # Refused: a deal cannot be won before it is an opportunity. Changes nothing.
    action("win", user="lead-b", at="2026-05-01T10:00:00+09:00", actor="fs_abe", message_id="b-early-win"),
    # Opportunity opened Fri 8 May: the meeting clock stops a day late → breached.
    action("open_opportunity", user="lead-b", at="2026-05-08T10:00:00+09:00", actor="fs_abe", message_id="b-opp"),
    # --- lead-c: Chika, manager at a 40-person retailer ------------------------------------------
    # fit = staff 5 (manager) + small_company 5 = 10 (retail is not a target industry)
    identify(
        "lead-c",
        at="2026-04-27T09:00:00+09:00",
        message_id="c-identify",
        traits={"email": "chika@shop.example", "job_level": "manager", "industry": "retail", "employees": 40},
    ),
    track("Contact Form Submitted", user="lead-c", at="2026-04-27T09:10:00+09:00", message_id="c-form"),  # 40
    # 40 + 20 = 60 → MQL on Mon 27 Apr 09:20, before lead-a (14:00): smb_is turns go
    # lead-c → is_sato, lead-a → is_ito.
    track("Case Study Downloaded", user="lead-c", at="2026-04-27T09:20:00+09:00", message_id="c-case"),
    # Rejected back to nurture: first_contact (due Fri 1 May) is stopped by the reject → met;
    # engagement resets; fit stays 10.
    action(
        "reject",
        user="lead-c",
        at="2026-04-28T09:00:00+09:00",
        actor="is_sato",
        reason="no project this year",
        message_id="c-reject",
    ),
    track("Email Opened", user="lead-c", at="2026-05-01T12:00:00+09:00", message_id="c-open"),  # 1 → score 11
    # --- lead-d: a student, excluded at the gate ----------------------------------------------
    identify(
        "lead-d",
        at="2026-03-02T09:00:00+09:00",
        message_id="d-identify",
        traits={"email": "dai@univ.example", "job_level": "student"},
    ),
    page("/blog/how-to-crm", user="lead-d", at="2026-03-02T09:05:00+09:00", message_id="d-blog"),  # 67 days: 2
    # --- lead-e: a referral created by field sales (SGL) -----------------------------------------
    # fit = decision_maker 15 + target_industry 10 + large_company 10 = 35; starts at SQL.
    # meeting started Thu 7 May: Fri 8 = 1, Mon 11 = 2, Tue 12 = 3, Wed 13 = 4, Thu 14 = 5.
    action(
        "create_sgl",
        user="lead-e",
        at="2026-05-07T17:00:00+09:00",
        actor="fs_abe",
        traits={"email": "eri@partner.example", "job_level": "executive", "industry": "software", "employees": 800},
        properties={"source": "partner referral"},
        message_id="e-create",
    ),
    # --- an action on a lead nobody has seen --------------------------------------------------
    action("accept", user="lead-x", at="2026-05-02T10:00:00+09:00", message_id="x-accept"),
]


def _reason(rule: str, count: int, points: float, decayed: float) -> dict[str, Any]:
    return {"rule": rule, "count": count, "points": points, "decayed_points": decayed}


def _entry(stage: str, at: str, cause: str, fast_track: bool = False) -> dict[str, Any]:
    return {"stage": stage, "at": at, "cause": cause, "fast_track": fast_track}


def _clock(sla: str, owner: str, status: str, started: str, deadline: str, stopped: str | None) -> dict[str, Any]:
    return {
        "id": sla,
        "owner": owner,
        "status": status,
        "started_at": started,
        "deadline": deadline,
        "stopped_at": stopped,
    }


EXPECTED: dict[str, dict[str, Any]] = {
    "lead-a": {
        "lead_id": "lead-a",
        "stage": "mql",
        # As of Fri 8 May 18:00: products 2.5 and whitepaper 7.5 (119 days); blog 95 days old now → 1;
        # webinar 20. engagement 31, score 20 + 31 = 51.
        "score": 51,
        "fit": 20,
        "engagement": 31,
        "hot": False,
        "owner": "is_ito",
        "origin": "marketing",
        "reasons": [
            _reason("staff", 1, 5, 5),
            _reason("target_industry", 1, 10, 10),
            _reason("small_company", 1, 5, 5),
            _reason("product_page", 1, 5, 2.5),
            _reason("blog", 1, 2, 1),
            _reason("whitepaper", 1, 15, 7.5),
            _reason("webinar", 1, 20, 20),
        ],
        "history": [
            _entry("lead", "2026-01-09T10:00:00+09:00", "a-identify"),
            _entry("mal", "2026-01-09T10:00:00+09:00", "a-identify"),
            _entry("mql", "2026-04-27T14:00:00+09:00", "a-webinar"),
        ],
        "sla": [
            # hand-off: 24 hours, met by the system assignment at the MQL instant.
            _clock(
                "handoff",
                "marketing",
                "met",
                "2026-04-27T14:00:00+09:00",
                "2026-04-28T14:00:00+09:00",
                "2026-04-27T14:00:00+09:00",
            ),
            _clock(
                "first_contact",
                "inside_sales",
                "breached",
                "2026-04-27T14:00:00+09:00",
                "2026-05-01T23:59:59.999999+09:00",
                "2026-05-07T11:00:00+09:00",
            ),
        ],
        "errors": [],
    },
    "lead-b": {
        "lead_id": "lead-b",
        "stage": "opportunity",
        # pricing 10 (18 days) + trade show 25 (16 days) = 35; score 35 + 35 = 70.
        "score": 70,
        "fit": 35,
        "engagement": 35,
        "hot": False,
        "owner": "is_tanaka",
        "origin": "marketing",
        "reasons": [
            _reason("decision_maker", 1, 15, 15),
            _reason("target_industry", 1, 10, 10),
            _reason("large_company", 1, 10, 10),
            _reason("pricing_page", 1, 10, 10),
            _reason("trade_show", 1, 25, 25),
        ],
        "history": [
            _entry("lead", "2026-04-21T09:30:00+09:00", "b-identify"),
            _entry("mal", "2026-04-21T09:30:00+09:00", "b-identify"),
            _entry("mql", "2026-04-22T16:00:00+09:00", "b-tradeshow"),
            _entry("sal", "2026-04-23T10:00:00+09:00", "b-accept"),
            _entry("sql", "2026-04-24T15:00:00+09:00", "b-bant"),
            _entry("opportunity", "2026-05-08T10:00:00+09:00", "b-opp"),
        ],
        "sla": [
            _clock(
                "handoff",
                "marketing",
                "met",
                "2026-04-22T16:00:00+09:00",
                "2026-04-23T16:00:00+09:00",
                "2026-04-22T16:00:00+09:00",
            ),
            _clock(
                "first_contact",
                "inside_sales",
                "met",
                "2026-04-22T16:00:00+09:00",
                "2026-04-27T23:59:59.999999+09:00",
                "2026-04-23T10:30:00+09:00",
            ),
            _clock(
                "meeting",
                "field_sales",
                "breached",
                "2026-04-24T15:00:00+09:00",
                "2026-05-07T23:59:59.999999+09:00",
                "2026-05-08T10:00:00+09:00",
            ),
        ],
        "errors": [
            {
                "message_id": "b-early-win",
                "action": "win",
                "at": "2026-05-01T10:00:00+09:00",
                "actor": {"id": "fs_abe", "role": "field_sales"},
                "reason": Mentions("sql"),
            }
        ],
    },
    "lead-c": {
        "lead_id": "lead-c",
        "stage": "mal",
        # Engagement was reset by the reject: only the e-mail open (1) counts. 10 + 1 = 11.
        "score": 11,
        "fit": 10,
        "engagement": 1,
        "hot": False,
        "owner": "is_sato",  # the latest assignment stands after a recycle
        "origin": "marketing",
        "reasons": [
            _reason("staff", 1, 5, 5),
            _reason("small_company", 1, 5, 5),
            _reason("email_open", 1, 1, 1),
        ],
        "history": [
            _entry("lead", "2026-04-27T09:00:00+09:00", "c-identify"),
            _entry("mal", "2026-04-27T09:00:00+09:00", "c-identify"),
            _entry("mql", "2026-04-27T09:20:00+09:00", "c-case"),
            _entry("mal", "2026-04-28T09:00:00+09:00", "c-reject"),
        ],
        "sla": [
            _clock(
                "handoff",
                "marketing",
                "met",
                "2026-04-27T09:20:00+09:00",
                "2026-04-28T09:20:00+09:00",
                "2026-04-27T09:20:00+09:00",
            ),
            _clock(
                "first_contact",
                "inside_sales",
                "met",
                "2026-04-27T09:20:00+09:00",
                "2026-05-01T23:59:59.999999+09:00",
                "2026-04-28T09:00:00+09:00",
            ),
        ],
        "errors": [],
    },
    "lead-d": {
        "lead_id": "lead-d",
        "stage": "disqualified",
        "score": 2,  # no fit rule holds for a student; the blog visit (67 days) counts in full
        "fit": 0,
        "engagement": 2,
        "hot": False,
        "owner": None,
        "origin": "marketing",
        "reasons": [_reason("blog", 1, 2, 2)],
        "history": [
            _entry("lead", "2026-03-02T09:00:00+09:00", "d-identify"),
            _entry("disqualified", "2026-03-02T09:00:00+09:00", "d-identify"),
        ],
        "sla": [],
        "errors": [],
    },
    "lead-e": {
        "lead_id": "lead-e",
        "stage": "sql",
        "score": 35,
        "fit": 35,
        "engagement": 0,
        "hot": False,
        "owner": None,
        "origin": "sales",
        "reasons": [
            _reason("decision_maker", 1, 15, 15),
            _reason("target_industry", 1, 10, 10),
            _reason("large_company", 1, 10, 10),
        ],
        "history": [_entry("sql", "2026-05-07T17:00:00+09:00", "e-create")],
        "sla": [
            _clock(
                "meeting",
                "field_sales",
                "running",
                "2026-05-07T17:00:00+09:00",
                "2026-05-14T23:59:59.999999+09:00",
                None,
            )
        ],
        "errors": [],
    },
}


def test_worked_example_matches_the_hand_computation() -> None:
    agreement = default()
    result = run(*HISTORY, as_of=AS_OF)
    as_of = to_us(parse_iso(AS_OF))
    actual = {lead_id: lead_to_json(lead, as_of, agreement.zone) for lead_id, lead in result.leads.items()}
    assert list(actual) == sorted(EXPECTED)
    for lead_id, expected in EXPECTED.items():
        assert actual[lead_id] == expected, lead_id


def test_worked_example_refuses_the_action_on_an_unknown_lead() -> None:
    result = run(*HISTORY, as_of=AS_OF)
    (unknown,) = result.unknown_lead_actions
    assert (unknown.lead_id, unknown.refused.message_id, unknown.refused.action) == ("lead-x", "x-accept", "accept")


def test_worked_example_bant_and_assignments() -> None:
    leads = run(*HISTORY, as_of=AS_OF).leads
    assert leads["lead-b"].bant == ("authority", "budget")
    assert leads["lead-c"].bant == ()
    assert [(a.team, a.owner) for a in leads["lead-a"].assignments] == [("smb_is", "is_ito")]
    assert [(a.team, a.owner) for a in leads["lead-b"].assignments] == [("enterprise_is", "is_tanaka")]
    assert [(a.team, a.owner) for a in leads["lead-c"].assignments] == [("smb_is", "is_sato")]
