"""The hand-off packet sales reads (issue #3): everything known about the person, and why the
lead qualified — an SGL qualified because sales created it, not by the SQL criterion."""

from __future__ import annotations

from factories import T0, action, default, identify, lead, messages, shift, to_mql

from leadpact.service.handoff import profile, qualification

AS_OF = shift(T0, days=1)


def test_the_profile_keeps_every_trait_who_first_then_by_name() -> None:
    traits = {
        "industry": "software",
        "employees": 500,
        "email": "mio@soft.example",
        "country": "JP",
        "name": "山田 澪",
        "job_level": "director",
    }
    result = lead(identify(traits=traits), as_of=AS_OF)
    assert list(profile(result).items()) == [
        ("name", "山田 澪"),
        ("email", "mio@soft.example"),
        ("job_level", "director"),
        ("country", "JP"),
        ("employees", 500),
        ("industry", "software"),
    ]  # email_domain, derived for conditions, is not repeated


def test_an_mql_qualifies_by_the_mql_criterion() -> None:
    objs = to_mql()
    result = lead(*objs, as_of=AS_OF)
    (mql,) = qualification("u1", result, messages(*objs), default(), "en")
    assert mql["stage"] == "mql" and "50" in mql["criterion"]


def test_an_sgl_qualifies_because_sales_created_it() -> None:
    objs = [action("create_sgl", traits={"company": "紹介株式会社"})]
    result = lead(*objs, as_of=AS_OF)
    (sql,) = qualification("u1", result, messages(*objs), default(), "ja")
    assert sql["stage"] == "sql"
    assert sql["criterion"] == "営業が作成したリード（SGL）: SQL から始まります"
    assert sql["cause"]["action"] == "create_sgl"
