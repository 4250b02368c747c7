"""What the nurture scheduler needs from the settings, and the reason it gives when something is
missing (``serve`` logs it once; ``GET /v1/flows`` and ``flows list`` show it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from leadpact.config import Settings
from leadpact.service.nurture.scheduler import NurtureConfig

COMPLETE = {
    "smtp_host": "smtp.example.com",
    "smtp_port": 587,
    "smtp_starttls": True,
    "smtp_user": "mailer",
    "smtp_password": "pw",
    "mail_from": "ACME 営業部 <news@acme.example>",
    "tracking_base_url": "https://leads.acme.example/",
    "tracking_secrets": "new-secret, old-secret",
    "tracking_secret": "cli-secret",
}


def config(**overrides: object) -> NurtureConfig:
    return NurtureConfig.from_settings(Settings.model_validate({**COMPLETE, **overrides}))


def test_complete_settings_make_a_sender_signing_with_the_first_secret() -> None:
    made = config(nurture_rate_domain=30, nurture_max_attempts=3, nurture_max_late_hours=24)
    assert made.problem is None and made.smtp is not None and made.runner is not None
    assert (made.smtp.host, made.smtp.port, made.smtp.starttls, made.smtp.username) == (
        "smtp.example.com",
        587,
        True,
        "mailer",
    )
    assert (made.runner.sender.addr_spec, made.runner.sender.display_name) == ("news@acme.example", "ACME 営業部")
    assert made.runner.links.secret == b"new-secret"
    assert (made.runner.retry.max_attempts, made.runner.max_late_us) == (3, 24 * 3600 * 1_000_000)
    assert (made.rate_global, made.rate_domain) == (None, 30)


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"smtp_host": " "}, "no SMTP server configured (set LEADPACT_SMTP_HOST)"),
        ({"mail_from": ""}, "LEADPACT_MAIL_FROM is not set"),
        (
            {"mail_from": "not an address"},
            "LEADPACT_MAIL_FROM: expected an address like 'ACME <news@acme.example>', found 'not an address' "
            "('not': not an e-mail address (addr-spec local part with no domain))",
        ),
        ({"tracking_base_url": ""}, "LEADPACT_TRACKING_BASE_URL is not set (the links in the mail point there)"),
        (
            {"tracking_secrets": "", "tracking_secret": ""},
            "no tracking secret (set LEADPACT_TRACKING_SECRETS or LEADPACT_TRACKING_SECRET)",
        ),
        ({"nurture_templates": "/no/such/dir"}, "LEADPACT_NURTURE_TEMPLATES: no such directory '/no/such/dir'"),
    ],
)
def test_a_missing_setting_is_named(overrides: dict[str, object], reason: str) -> None:
    made = config(**overrides)
    assert (made.problem, made.runner) == (reason, None)


def test_existing_template_directories_are_accepted(tmp_path: Path) -> None:
    assert config(nurture_templates=f"{tmp_path}, {tmp_path}").problem is None
