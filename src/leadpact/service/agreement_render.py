"""Render the agreement as the "MQL/SQL definition agreement" both departments sign (SPEC §4).

The document is generated from the same parsed :class:`Agreement` the engine runs, through
Jinja2 templates shipped in ``leadpact/data/templates/agreement``. HTML is autoescaped; the
Markdown environment escapes every user-supplied string with :func:`markdown_escape` instead,
since Markdown has no autoescape of its own.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Final, Literal

from jinja2 import Environment, PackageLoader, StrictUndefined

from leadpact.domain.agreement import Agreement
from leadpact.service.labels import LANGS, Lang
from leadpact.service.render.phrases import PHRASES
from leadpact.service.render.view import build_view

Format = Literal["md", "html"]
FORMATS: Final[tuple[Format, ...]] = ("md", "html")
__all__ = ["FORMATS", "LANGS", "Format", "Lang", "markdown_escape", "markdown_escape_line", "render_agreement"]

# Characters that start Markdown syntax or raw HTML anywhere in a line or a table cell. They are
# backslash-escaped (CommonMark allows it for any ASCII punctuation) rather than turned into
# entities, so the raw file stays readable.
_ALWAYS_SPECIAL: Final = re.compile(r"([\\`*\[\]|<>])")
# Underscores only matter where they can open or close emphasis; ``job_level`` stays as is.
_EMPHASIS_UNDERSCORE: Final = re.compile(r"(?<![\w\\])_|_(?!\w)")
_ENTITY_AMPERSAND: Final = re.compile(r"&(?=#?\w+;)")
_BLOCK_START: Final = re.compile(r"^([#+=~-]|\d+(?=[.)]))")


def markdown_escape(text: object) -> str:
    """Make text inert inside a Markdown line or table cell: no emphasis, links, cells or HTML."""
    flat = " ".join(str(text).split())
    escaped = _ALWAYS_SPECIAL.sub(r"\\\1", flat)
    escaped = _EMPHASIS_UNDERSCORE.sub(r"\\_", escaped)
    return _ENTITY_AMPERSAND.sub(r"\\&", escaped)


def markdown_escape_line(text: object) -> str:
    """Like :func:`markdown_escape`, for text that starts a line or a list item, where a leading
    ``#``, ``-`` or ``1.`` would make a heading or a list."""
    escaped = markdown_escape(text)
    match = _BLOCK_START.match(escaped)
    if match is None:
        return escaped
    if match.group(1).isdigit():
        return f"{escaped[: match.end()]}\\{escaped[match.end() :]}"
    return f"\\{escaped}"


@cache
def _environment(fmt: Format) -> Environment:
    env = Environment(
        loader=PackageLoader("leadpact", "data/templates/agreement"),
        autoescape=fmt == "html",
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["md"] = markdown_escape
    env.filters["md_line"] = markdown_escape_line
    return env


def render_agreement(agreement: Agreement, lang: Lang, fmt: Format) -> str:
    """The agreement document in ``lang`` (``ja``/``en``) as Markdown or a self-contained HTML page."""
    template = _environment(fmt).get_template(f"agreement.{fmt}.j2")
    return template.render(v=build_view(agreement, lang), t=PHRASES[lang])
