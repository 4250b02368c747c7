"""``flows check``: beyond the YAML, render every template a flow sends, in every language it
has, for a sample lead and for a lead with nothing but its address — so a Jinja error, a
missing subject or unsubscribe link, or a value some leads lack is found before activation,
not at 09:00 on a Tuesday.

:class:`RenderCheck` is the flow parser's template check, so that a template problem is
reported like any other: at the flow file's line and field path of the step that sends it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from leadpact.domain.agreement import Problem
from leadpact.domain.flow_parser import FlowLabel
from leadpact.domain.flow_runs import SendEmail
from leadpact.domain.flows import FLOW_LANGUAGES, SendStep
from leadpact.service.nurture.links import LinkBuilder
from leadpact.service.nurture.templates import MailTemplateError, MailVariables, TemplateLibrary

SAMPLE_LEAD: Final = {
    "email": "taro.yamada@example.com",
    "name": "山田 太郎",
    "first_name": "Taro",
    "company": "株式会社サンプル",
    "title": "情報システム部 部長",
}
BARE_LEAD: Final = {"email": SAMPLE_LEAD["email"]}
"""What every lead has: its address. Any other trait (even ``name``) may be missing at send time."""

_LINKS = LinkBuilder("https://track.example.com", b"flows-check")


@dataclass(frozen=True, slots=True)
class _SampleLead:
    traits: Mapping[str, Any]
    company: Mapping[str, Any]
    note: str
    """Said after the language when a problem shows only for this lead."""


_LEADS: Final = (
    _SampleLead(SAMPLE_LEAD, {"name": SAMPLE_LEAD["company"]}, ""),
    _SampleLead(BARE_LEAD, {}, ", for a lead with only an address"),
)


class RenderCheck:
    """Checks that a send step's template exists, then renders it in every language it has for
    each sample lead. Collects, for the summary, the languages of each template and warnings."""

    def __init__(self, library: TemplateLibrary) -> None:
        self.library = library
        self.languages: dict[str, list[str]] = {}
        """Template name → the languages it has."""
        self.warnings: list[str] = []

    def __call__(self, step: SendStep, flow: FlowLabel) -> list[Problem]:
        missing = self.library.check(step, flow)
        if missing:
            return missing
        found: dict[str, str] = {}  # a problem every sample lead has is reported once
        for language in self._languages_of(step.template):
            for lead in _LEADS:
                message = _render(self.library, step, flow, language, lead)
                if message is not None and message not in found:
                    found[message] = f"{message} ({language}{lead.note})"
        return [Problem("", problem) for problem in found.values()]

    def _languages_of(self, template: str) -> list[str]:
        if template not in self.languages:
            languages = self.library.languages(template)
            self.languages[template] = languages
            missing = [lang for lang in FLOW_LANGUAGES if lang not in languages]
            if missing:
                self.warnings.append(f"{template}: no {'/'.join(missing)} variant; those leads get {languages[0]}")
        return self.languages[template]


def _render(library: TemplateLibrary, step: SendStep, flow: FlowLabel, language: str, lead: _SampleLead) -> str | None:
    """The problem rendering ``step``'s template for ``lead``, or None."""
    mail = SendEmail(
        f"check:{flow.id}:{step.id}",
        "sample",
        flow.id,
        flow.version,
        1,
        step.id,
        step.template,
        step.data,
        language,
        "Asia/Tokyo",
        0,
    )
    variables = MailVariables(
        lead=lead.traits,
        company=lead.company,
        data=step.data_dict(),
        flow={"id": flow.id, "name": flow.title, "version": flow.version},
        unsubscribe_url=_LINKS.unsubscribe_url(mail),
        track=lambda url: _LINKS.click_url(mail, url),
    )
    try:
        library.render(step.template, language, variables)
    except (MailTemplateError, ValueError) as exc:
        return str(exc)
    return None
