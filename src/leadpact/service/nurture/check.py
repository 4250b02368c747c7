"""``flows check``: beyond the YAML, render every template a flow sends, in every language it
has, for a sample lead — so a Jinja error, a missing subject or a missing unsubscribe link is
found before activation, not at 09:00 on a Tuesday."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from leadpact.domain.flow_runs import SendEmail
from leadpact.domain.flows import FLOW_LANGUAGES, Flow, SendStep
from leadpact.service.nurture.links import LinkBuilder
from leadpact.service.nurture.templates import MailTemplateError, MailVariables, TemplateLibrary

SAMPLE_LEAD = {
    "email": "taro.yamada@example.com",
    "name": "山田 太郎",
    "first_name": "Taro",
    "company": "株式会社サンプル",
    "title": "情報システム部 部長",
}
_LINKS = LinkBuilder("https://track.example.com", b"flows-check")


@dataclass(slots=True)
class TemplateCheck:
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    languages: dict[str, list[str]] = field(default_factory=dict)
    """Template name → the languages it has."""


def check_templates(flows: Sequence[Flow], library: TemplateLibrary) -> TemplateCheck:
    result = TemplateCheck()
    for flow in flows:
        for step in flow.steps:
            if not isinstance(step, SendStep) or step.template in result.languages:
                continue
            languages = library.languages(step.template)
            result.languages[step.template] = languages
            missing = [lang for lang in FLOW_LANGUAGES if lang not in languages]
            if missing and languages:
                result.warnings.append(
                    f"{step.template}: no {'/'.join(missing)} variant; those leads get {languages[0]}"
                )
            for language in languages:
                _render(flow, step, language, library, result)
    return result


def _render(flow: Flow, step: SendStep, language: str, library: TemplateLibrary, result: TemplateCheck) -> None:
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
        lead=SAMPLE_LEAD,
        company={"name": SAMPLE_LEAD["company"]},
        data=step.data_dict(),
        flow={"id": flow.id, "name": flow.title, "version": flow.version},
        unsubscribe_url=_LINKS.unsubscribe_url(mail),
        track=lambda url: _LINKS.click_url(mail, url),
    )
    try:
        library.render(step.template, language, variables)
    except (MailTemplateError, ValueError) as exc:
        result.problems.append(f"{flow.id} step {step.id}: {exc}")
