"""E-mail templates: Jinja2 in a sandbox, Japanese and English, a text part and an HTML part.

A template ``NAME`` in language ``LANG`` is two files in a template directory:

* ``NAME.LANG.txt.j2`` — required. Its first line is ``Subject: ...``, then a blank line, then
  the plain-text body.
* ``NAME.LANG.html.j2`` — optional HTML body, autoescaped (a trait containing ``<script>`` is
  shown, not run).

User directories are searched before the templates shipped with leadpact. A lead whose
language has no variant gets the other language (Japanese first). Templates run in Jinja2's
``SandboxedEnvironment``: they can read the variables they are given and nothing else.

Every mail must carry its unsubscribe link (a legal requirement): a template whose text part
(or HTML part) does not contain ``{{ unsubscribe_url }}`` is refused.

A value a lead lacks renders as nothing, as in plain Jinja; using it further
(``{{ lead.name.split()[0] }}``) fails naming it (``lead.name``) and suggesting a default.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from jinja2 import ChoiceLoader, FileSystemLoader, TemplateError, TemplateNotFound, Undefined, select_autoescape
from jinja2.sandbox import SandboxedEnvironment

from leadpact.domain.agreement import Problem
from leadpact.domain.flow_parser import FlowLabel
from leadpact.domain.flows import FLOW_LANGUAGES, SendStep

SHIPPED: Final = Path(__file__).resolve().parents[2] / "data" / "templates" / "email"
_FALLBACK_ORDER: Final = ("ja", "en")


class MailTemplateError(ValueError):
    """A template is missing, does not render, or lacks its subject or unsubscribe link."""


@dataclass(frozen=True, slots=True)
class RenderedEmail:
    subject: str
    text: str
    html: str | None
    language: str


@dataclass(frozen=True, slots=True)
class MailVariables:
    """What a template sees. ``lead``: the lead's traits; ``company``: its company's traits;
    ``data``: the step's ``data``; ``track(url)``: a tracked link to ``url``."""

    lead: Mapping[str, Any]
    company: Mapping[str, Any]
    data: Mapping[str, Any]
    flow: Mapping[str, Any]
    unsubscribe_url: str
    track: Callable[[str], str]

    def as_dict(self, language: str) -> dict[str, Any]:
        return {
            "lead": _Values("lead", self.lead),
            "company": _Values("company", self.company),
            "data": _Values("data", self.data),
            "flow": dict(self.flow),
            "unsubscribe_url": self.unsubscribe_url,
            "track": self.track,
            "language": language,
        }


class _Values(dict[str, Any]):
    """A copy of ``lead``, ``company`` or ``data`` whose missing entries are undefined (falsy,
    rendered as nothing, as in plain Jinja) but say which value they stand for when used further:
    plain Jinja would only say "'dict object' has no attribute 'name'"."""

    __slots__ = ("_variable",)  # underscored: the sandbox hides it from templates

    def __init__(self, variable: str, values: Mapping[str, Any]) -> None:
        super().__init__(values)
        self._variable = variable

    def __missing__(self, key: str) -> Undefined:
        value = f"{self._variable}.{key}"
        return Undefined(hint=f'{value} is missing; give it a default, e.g. {{{{ {value} or "…" }}}}', name=key)


class TemplateLibrary:
    def __init__(self, directories: Sequence[Path] = ()) -> None:
        self.directories = [*directories, SHIPPED]
        self.env = SandboxedEnvironment(
            loader=ChoiceLoader([FileSystemLoader(str(d)) for d in self.directories]),
            autoescape=select_autoescape(enabled_extensions=("html.j2",), default_for_string=False, default=False),
            keep_trailing_newline=False,
            trim_blocks=True,
            lstrip_blocks=True,
        )

    def languages(self, name: str) -> list[str]:
        """The languages ``name`` has a text variant in."""
        found = []
        for language in FLOW_LANGUAGES:
            if any((d / f"{name}.{language}.txt.j2").is_file() for d in self.directories):
                found.append(language)
        return found

    def check(self, step: SendStep, _flow: FlowLabel) -> list[Problem]:
        """The flow parser's template check: that the step's template exists in some language.
        Rendering it (``flows check``) is :class:`leadpact.service.nurture.check.RenderCheck`;
        the flow matters only there."""
        if self.languages(step.template):
            return []
        return [Problem("template", self._missing(step.template))]

    def _missing(self, name: str) -> str:
        looked = ", ".join(str(d) for d in self.directories)
        return f"no template {name!r}: expected {name}.ja.txt.j2 or {name}.en.txt.j2 in {looked}"

    def render(self, name: str, language: str, variables: MailVariables) -> RenderedEmail:
        chosen = self._language(name, language)
        context = variables.as_dict(chosen)
        text = self._render(f"{name}.{chosen}.txt.j2", context)
        subject, body = _split_subject(text, f"{name}.{chosen}.txt.j2")
        html = self._render_optional(f"{name}.{chosen}.html.j2", context)
        unsubscribe = variables.unsubscribe_url
        if unsubscribe not in body:
            raise MailTemplateError(f"{name}.{chosen}.txt.j2: the text must contain {{{{ unsubscribe_url }}}}")
        if html is not None and unsubscribe not in html:
            raise MailTemplateError(f"{name}.{chosen}.html.j2: the HTML must contain {{{{ unsubscribe_url }}}}")
        return RenderedEmail(subject, body, html, chosen)

    def _language(self, name: str, wanted: str) -> str:
        available = self.languages(name)
        if not available:
            raise MailTemplateError(self._missing(name))
        if wanted in available:
            return wanted
        return next(lang for lang in _FALLBACK_ORDER if lang in available)

    def _render(self, filename: str, context: dict[str, Any]) -> str:
        try:
            template = self.env.get_template(filename)
        except TemplateError as exc:
            raise _located(filename, getattr(exc, "lineno", None), exc) from None  # syntax errors know their line
        try:
            return template.render(context)
        except (TemplateError, ValueError) as exc:  # ValueError: track() refused a link
            raise _located(filename, _template_line(exc, template.filename), exc) from None

    def _render_optional(self, filename: str, context: dict[str, Any]) -> str | None:
        try:
            self.env.get_template(filename)
        except TemplateNotFound:
            return None
        except TemplateError:
            pass  # a syntax error: let _render report it with its line
        return self._render(filename, context)


def _located(filename: str, line: int | None, exc: Exception) -> MailTemplateError:
    message = exc.message if isinstance(exc, TemplateError) else str(exc)
    where = f"{filename}:{line}" if line else filename
    return MailTemplateError(f"{where}: {message or type(exc).__name__}")


def _template_line(exc: Exception, template_path: str | None) -> int | None:
    """The template line a runtime error happened on: Jinja rewrites the traceback so that its
    innermost frames in the template file carry template lines."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == template_path]
    return lines[-1] if lines else None


def _split_subject(text: str, filename: str) -> tuple[str, str]:
    first, _, rest = text.lstrip("\n").partition("\n")
    if not first.lower().startswith("subject:"):
        raise MailTemplateError(f"{filename}: the first line must be 'Subject: ...', found {first[:40]!r}")
    subject = first.split(":", 1)[1].strip()
    if not subject:
        raise MailTemplateError(f"{filename}: the subject is empty")
    return subject, rest.lstrip("\n")
