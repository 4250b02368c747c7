"""E-mail templates: personalised, Japanese or English, autoescaped HTML, sandboxed, and never
without their unsubscribe link."""

from __future__ import annotations

from email.parser import BytesParser
from email.policy import SMTP
from email.policy import default as default_policy
from pathlib import Path

import pytest

from leadpact.domain.flow_parser import FlowLabel
from leadpact.domain.flow_runs import SendEmail
from leadpact.domain.flows import SendStep
from leadpact.service.nurture.compose import AddressError, compose, mail_address, message_id_for, with_pixel
from leadpact.service.nurture.templates import MailTemplateError, MailVariables, RenderedEmail, TemplateLibrary

UNSUBSCRIBE = "https://t.example.com/t/u/token"


def variables(**lead: str) -> MailVariables:
    return MailVariables(
        lead=lead,
        company={"name": "会社名"},
        data={},
        flow={"id": "f", "name": "f", "version": "1"},
        unsubscribe_url=UNSUBSCRIBE,
        track=lambda url: f"https://t.example.com/t/c/{len(url)}",
    )


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text, encoding="utf-8")


def test_the_shipped_invitation_is_personalised_in_japanese_with_tracked_links() -> None:
    mail = TemplateLibrary().render("webinar_invite", "ja", variables(name="山田 太郎", company="買い手株式会社"))
    assert mail.language == "ja"
    assert mail.subject.startswith("【ウェビナーのご案内】")
    assert mail.text.startswith("買い手株式会社 山田 太郎 様")
    assert "https://t.example.com/t/c/" in mail.text and UNSUBSCRIBE in mail.text
    assert mail.html is not None and "買い手株式会社 山田 太郎 様" in mail.html


def test_a_lead_without_a_name_is_greeted_politely_not_with_a_blank() -> None:
    assert TemplateLibrary().render("webinar_invite", "ja", variables()).text.startswith("会社名 ご担当者 様")
    assert TemplateLibrary().render("webinar_invite", "en", variables()).text.startswith("Dear Sir or Madam,")


def test_html_is_autoescaped_but_the_text_part_is_not(tmp_path: Path) -> None:
    mail = TemplateLibrary().render("webinar_invite", "en", variables(name="<script>x()</script> & Co"))
    assert mail.html is not None
    assert "<script>" not in mail.html and "&lt;script&gt;x()&lt;/script&gt; &amp; Co" in mail.html
    assert "<script>x()</script> & Co" in mail.text


def test_a_missing_language_falls_back_to_the_other_one(tmp_path: Path) -> None:
    write(tmp_path, "only_en.en.txt.j2", "Subject: Hello\n\nHi {{ lead.name }}\n{{ unsubscribe_url }}\n")
    library = TemplateLibrary([tmp_path])
    assert library.languages("only_en") == ["en"]
    mail = library.render("only_en", "ja", variables(name="Ann"))
    assert (mail.language, mail.subject, mail.html) == ("en", "Hello", None)
    assert mail.text == f"Hi Ann\n{UNSUBSCRIBE}"


def test_user_templates_override_the_shipped_ones(tmp_path: Path) -> None:
    write(tmp_path, "webinar_invite.ja.txt.j2", "Subject: 自社版\n\n本文\n{{ unsubscribe_url }}\n")
    assert TemplateLibrary([tmp_path]).render("webinar_invite", "ja", variables()).subject == "自社版"


def test_a_template_without_the_unsubscribe_link_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "no_exit.ja.txt.j2", "Subject: 件名\n\n本文だけ\n")
    with pytest.raises(
        MailTemplateError, match=r"no_exit\.ja\.txt\.j2: the text must contain \{\{ unsubscribe_url \}\}"
    ):
        TemplateLibrary([tmp_path]).render("no_exit", "ja", variables())


def test_a_template_without_a_subject_line_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "bare.en.txt.j2", "Hello\n{{ unsubscribe_url }}\n")
    with pytest.raises(MailTemplateError, match=r"the first line must be 'Subject: \.\.\.'"):
        TemplateLibrary([tmp_path]).render("bare", "en", variables())


def test_the_sandbox_refuses_to_reach_python_internals(tmp_path: Path) -> None:
    write(
        tmp_path,
        "evil.en.txt.j2",
        "Subject: x\n\n{{ track.__globals__ }}{{ ''.__class__.__mro__ }}\n{{ unsubscribe_url }}\n",
    )
    with pytest.raises(MailTemplateError):
        TemplateLibrary([tmp_path]).render("evil", "en", variables())


def test_a_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, "broken.en.txt.j2", "Subject: x\n\n{% if %}\n")
    with pytest.raises(MailTemplateError, match=r"broken\.en\.txt\.j2:3: "):
        TemplateLibrary([tmp_path]).render("broken", "en", variables())


def test_an_unknown_template_is_explained_with_where_it_was_looked_for(tmp_path: Path) -> None:
    (problem,) = TemplateLibrary([tmp_path]).check(SendStep("s", "nowhere"), FlowLabel("f", "1", "f"))
    assert problem.path == "template"
    assert problem.message.startswith("no template 'nowhere': expected nowhere.ja.txt.j2 or")
    assert str(tmp_path) in problem.message


def test_the_composed_message_carries_the_one_click_unsubscribe_and_a_stable_message_id() -> None:
    rendered = RenderedEmail("件名", "本文", "<html><body><p>本文</p></body></html>", "ja")
    key = SendEmail("nurture:f:1:u1:1:s", "u1", "f", "1", 1, "s", "t", (), "ja", "Asia/Tokyo", 0).key
    message = compose(
        rendered,
        sender=mail_address("news@seller.example", "売り手"),
        recipient=mail_address("taro@buyer.example", "山田 太郎"),
        key=key,
        message_id=message_id_for(key, "seller.example"),
        date_us=0,
        unsubscribe_url=UNSUBSCRIBE,
        pixel_url="https://t.example.com/t/o/px",
    )
    assert message["Message-ID"] == message_id_for(key, "seller.example")
    assert message_id_for(key, "seller.example") != message_id_for(key + "x", "seller.example")
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["Content-Language"] == "ja"
    html = message.get_body(("html",))
    assert html is not None
    assert '<img src="https://t.example.com/t/o/px"' in str(html.get_content())  # type: ignore[attr-defined]


def test_the_pixel_goes_before_the_end_of_the_body_or_at_the_end() -> None:
    assert with_pixel("<body>x</BODY>", "u").endswith("</BODY>")
    assert with_pixel("<p>x</p>", "u").startswith("<p>x</p><img")


@pytest.mark.parametrize("address", ["not-an-address", "名前@example.jp", "a@localhost", ""])
def test_addresses_smtp_cannot_carry_are_refused(address: str) -> None:
    with pytest.raises(AddressError):
        mail_address(address)


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("Taro\r\nBcc: attacker@evil.example", "Taro Bcc: attacker@evil.example"),
        ("山田\n太郎", "山田 太郎"),
        ("Taro\tYamada\u2028", "Taro Yamada"),
        ("A\x00B\x1b", "AB"),
    ],
)
def test_a_name_with_line_breaks_or_control_characters_is_still_mailed_as_one_header_line(
    name: str, shown: str
) -> None:
    """A name typed into a form can hold a line break; the mail goes out with the name on one
    line (never a second header), instead of the lead being refused as if its address were bad."""
    recipient = mail_address("taro@buyer.example", name)
    assert recipient.display_name == shown
    rendered = RenderedEmail("件名", "本文", None, "ja")
    message = compose(
        rendered,
        sender=mail_address("news@seller.example"),
        recipient=recipient,
        key="k",
        message_id=message_id_for("k", "seller.example"),
        date_us=0,
        unsubscribe_url=UNSUBSCRIBE,
        pixel_url="https://t.example.com/t/o/px",
    )
    raw = message.as_bytes(policy=SMTP)
    headers = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert not any(line.lower().startswith(b"bcc") for line in headers)
    parsed = BytesParser(policy=default_policy).parsebytes(raw)
    assert parsed["To"].addresses[0].display_name == shown
    assert parsed["To"].addresses[0].addr_spec == "taro@buyer.example"
