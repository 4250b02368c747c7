"""CSV import with mapping files (issue #7): round trips, clear errors, shipped mappings."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from leadpact.adapters.agreement_yaml import default_agreement
from leadpact.adapters.csv_import import (
    CsvImportError,
    MappingError,
    import_csv_text,
    load_mapping,
    mapping_from_text,
    shipped_mappings,
)
from leadpact.domain.messages import Message, parse_message
from leadpact.domain.replay import replay
from leadpact.domain.timeutil import parse_iso, to_us
from leadpact.entrypoints.cli import app

AS_OF = to_us(parse_iso("2026-01-31T00:00:00+09:00"))

MAPPING = """
name: shop
lead_id: {column: Id, prefix: "shop-"}
timezone: Asia/Tokyo
missing_values: [Select]
traits:
  - {column: Industry, trait: industry, rename: {IT: it_services}}
  - {column: Employees, trait: employees, type: number}
  - {column: Opted Out, trait: opted_out, type: boolean}
  - {column: Signed Up, trait: signed_up, type: date}
  - {column: Rating, trait: rating, post_contact: true}
events:
  - {column: Visits, as: count, page: /pricing}
  - {column: Ebook, as: flag, track: Whitepaper Downloaded}
  - {column: Last Activity, as: name, rename: {Booth: Trade Show Booth Visited}}
outcome:
  column: Won
  customer: [yes]
  not_converted: [no]
ignore: [Notes]
"""

CSV = """Id,Industry,Employees,Opted Out,Signed Up,Rating,Visits,Ebook,Last Activity,Won,Notes
1,IT,250,No,2025-12-01,Hot,3,Yes,Booth,yes,call back
2,Select,,Yes,,,0,No,Email Opened,no,
3,retail,1200.0,no,2025-11-15,Cold,1.0,no,Select,No,x
"""


def _import(csv_text: str = CSV, mapping_text: str = MAPPING, as_of: int | None = AS_OF) -> list[dict[str, Any]]:
    return import_csv_text(
        csv_text, mapping_from_text(mapping_text, "shop.yaml"), as_of=as_of, source="leads.csv"
    ).messages


def _by_lead(messages: list[dict[str, Any]]) -> dict[str, list[Message]]:
    parsed = [parse_message(m, seq=i) for i, m in enumerate(messages)]
    leads: dict[str, list[Message]] = {}
    for msg in parsed:
        assert msg.user_id is not None
        leads.setdefault(msg.user_id, []).append(msg)
    return leads


def test_import_round_trips_traits_events_and_outcome() -> None:
    leads = _by_lead(_import())

    assert set(leads) == {"shop-1", "shop-2", "shop-3"}
    first = leads["shop-1"]
    assert first[0].type == "identify"
    assert dict(first[0].traits) == {
        "industry": "it_services",
        "employees": 250,
        "opted_out": False,
        "signed_up": "2025-12-01",
        "rating": "Hot",
        "outcome": "customer",
    }
    events = Counter((m.type, m.path or m.event) for m in first[1:])
    assert events == {
        ("page", "/pricing"): 3,
        ("track", "Whitepaper Downloaded"): 1,
        ("track", "Trade Show Booth Visited"): 1,
    }


def test_missing_values_leave_traits_and_events_out() -> None:
    leads = _by_lead(_import())

    second = leads["shop-2"]
    assert dict(second[0].traits) == {"opted_out": True, "outcome": "not_converted"}
    assert [m.event for m in second[1:]] == ["Email Opened"]
    third = leads["shop-3"]
    assert third[0].traits["employees"] == 1200
    assert [(m.type, m.path) for m in third[1:]] == [("page", "/pricing")]


def test_events_follow_the_lead_one_second_apart_with_stable_ids() -> None:
    first = _by_lead(_import())["shop-1"]

    assert [m.ts - AS_OF for m in first] == [0, 1_000_000, 2_000_000, 3_000_000, 4_000_000, 5_000_000]
    assert _import() == _import()  # re-importing is idempotent: same messageIds, same times
    assert first[1].message_id == "csv:shop:shop-1:e0:1"


def test_identify_declares_post_contact_traits_and_the_outcome_trait() -> None:
    identify = _import()[0]

    assert identify["properties"]["post_contact_traits"] == ["rating"]
    assert identify["properties"]["outcome_trait"] == "outcome"


def test_replay_accepts_an_imported_history_without_refused_actions() -> None:
    messages = [parse_message(m, seq=i) for i, m in enumerate(_import())]

    result = replay(messages, default_agreement(), AS_OF + 3600 * 1_000_000)

    assert set(result.leads) == {"shop-1", "shop-2", "shop-3"}
    assert all(not lead.errors for lead in result.leads.values())
    assert not result.unknown_lead_actions
    assert result.leads["shop-1"].touches["event:Whitepaper Downloaded"] == 1


def test_a_bad_value_names_its_line_and_column_and_nothing_is_imported() -> None:
    bad = CSV.replace("1,IT,250,", "1,IT,lots,").replace(",0,No,Email", ",two,No,Email")

    with pytest.raises(CsvImportError) as caught:
        _import(bad)

    problems = caught.value.problems
    assert "leads.csv: line 2, column 'Employees': expected a number, found 'lots'" in problems
    assert any("line 3, column 'Visits': expected a whole number of events" in p for p in problems)


def test_an_unknown_outcome_value_is_an_error_with_the_expected_values() -> None:
    with pytest.raises(
        CsvImportError, match=r"line 4, column 'Won': expected an outcome value \(.*yes.*\), found 'maybe'"
    ):
        _import(CSV.replace("Select,No,x", "Select,maybe,x"))


def test_a_mapped_column_missing_from_the_csv_is_named_with_a_suggestion() -> None:
    with pytest.raises(CsvImportError, match=r"reads column 'Employees'.*did you mean 'Employes'"):
        _import(CSV.replace("Employees", "Employes"))


def test_duplicate_lead_ids_are_refused() -> None:
    with pytest.raises(CsvImportError, match=r"line 3, column 'Id': lead id '1' already used on line 2"):
        _import(CSV.replace("\n2,Select", "\n1,Select"))


def test_without_creation_dates_the_export_date_is_required() -> None:
    with pytest.raises(CsvImportError, match="pass --as-of"):
        _import(as_of=None)


def test_unmapped_columns_are_reported_not_silently_dropped() -> None:
    mapping = mapping_from_text(MAPPING.replace("ignore: [Notes]", ""), "shop.yaml")

    result = import_csv_text(CSV, mapping, as_of=AS_OF)

    assert result.unmapped_columns == ["Notes"]


def test_an_invalid_mapping_lists_every_problem_with_its_path() -> None:
    text = MAPPING.replace("type: number", "type: nummber").replace("as: count", "as: many")

    with pytest.raises(MappingError) as caught:
        mapping_from_text(text, "shop.yaml")

    assert (
        "shop.yaml: traits[1].type: expected one of string, number, integer, boolean, date, found string 'nummber'"
        in caught.value.problems
    )
    assert any(
        p.startswith("shop.yaml: events[0].as: expected one of count, flag, name") for p in caught.value.problems
    )


def test_shipped_mappings_load_by_name_and_unknown_names_list_them() -> None:
    assert {"x-education", "hubspot", "salesforce"} <= set(shipped_mappings())
    assert load_mapping("hubspot").lead_id_column == "Record ID"

    with pytest.raises(MappingError, match="shipped: hubspot, salesforce, x-education"):
        load_mapping("pipedrive")


def test_hubspot_export_maps_lifecycle_stage_to_outcome_and_counts_to_events() -> None:
    csv_text = (
        "Record ID,Email,Job Title,Number of Employees,Create Date,Lifecycle Stage,Lead Status,"
        "Number of Sessions,Marketing emails opened\n"
        "101,a@acme.example,CTO,300,2025-10-01 09:30,Customer,Connected,4,2\n"
        "102,b@beta.example,Intern,,2025-10-03 10:00,Lead,,0,\n"
    )

    result = import_csv_text(csv_text, load_mapping("hubspot"), as_of=None)

    leads = _by_lead(result.messages)
    first = leads["hubspot-101"]
    assert first[0].traits["outcome"] == "customer"
    assert first[0].ts == to_us(parse_iso("2025-10-01T09:30:00+09:00"))
    assert Counter(m.event for m in first[1:]) == {"Website Visited": 4, "Email Opened": 2}
    assert leads["hubspot-102"][0].traits["outcome"] == "not_converted"
    assert "Number of Pageviews" in result.absent_optional_columns


def test_salesforce_conversion_is_an_sql_outcome() -> None:
    csv_text = "Id,CreatedDate,Company,IsConverted,Status\n00Q1,2025-01-15T09:32:11.000Z,Acme,true,Qualified\n"

    result = import_csv_text(csv_text, load_mapping("salesforce"), as_of=None)

    assert result.messages[0]["traits"] == {"company": "Acme", "lead_status": "Qualified", "outcome": "sql"}
    assert result.messages[0]["timestamp"] == "2025-01-15T09:32:11+00:00"


def test_cli_writes_jsonl_and_reports_counts(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "leads.csv").write_text(CSV, encoding="utf-8")
    out = tmp_path / "events.jsonl"

    result = CliRunner().invoke(
        app,
        [
            "import-csv",
            str(tmp_path / "leads.csv"),
            "--mapping",
            str(tmp_path / "shop.yaml"),
            "--as-of",
            "2026-01-31",
            "--out",
            str(out),
        ],
    )

    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 10
    assert lines[0]["timestamp"] == "2026-01-31T00:00:00+09:00"
    assert "3 lead(s), 7 event(s); outcomes: customer 1, not_converted 2; written to" in result.output


def test_cli_exits_2_on_bad_rows_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "shop.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "leads.csv").write_text(CSV.replace("250", "many"), encoding="utf-8")
    out = tmp_path / "events.jsonl"

    result = CliRunner().invoke(
        app,
        [
            "import-csv",
            str(tmp_path / "leads.csv"),
            "-m",
            str(tmp_path / "shop.yaml"),
            "--as-of",
            "2026-01-31",
            "-o",
            str(out),
        ],
    )

    assert result.exit_code == 2
    assert "line 2, column 'Employees': expected a number, found 'many'" in result.output
    assert "Nothing was imported." in result.output
    assert not out.exists()


def test_cli_imports_into_the_store_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEADPACT_DATABASE_URL", f"sqlite:///{tmp_path / 'store.db'}")
    (tmp_path / "shop.yaml").write_text(MAPPING, encoding="utf-8")
    (tmp_path / "leads.csv").write_text(CSV, encoding="utf-8")
    command = ["import-csv", str(tmp_path / "leads.csv"), "-m", str(tmp_path / "shop.yaml"), "--as-of", "2026-01-31"]

    first = CliRunner().invoke(app, command)
    again = CliRunner().invoke(app, command)

    assert first.exit_code == 0, first.output
    assert "10 message(s) stored, 0 already there" in first.output
    assert "0 message(s) stored, 10 already there (ignored)" in again.output
