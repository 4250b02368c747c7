"""The reports' charts for the pages: drawn on the server, served as images, kept.

The same Vega-Lite charts as ``leadpact report --chart`` (:mod:`leadpact.adapters.charts`),
drawn by vl-convert: no browser-side library, no network. They are served as PNG at twice
the CSS size rather than inline SVG: an SVG's text is laid out by the server's fonts but drawn
by the reader's, so labels clip on a laptop without the same font (Japanese ones above all);
a PNG looks the same everywhere.

A page only names its chart (``/charts/<digest>.png``, the digest of what the chart shows),
so the page itself never waits for drawing (0.05–0.25 s); the image request draws it once and
every later page showing the same numbers reuses it. The waterfall's subtitle leaves out the
as-of minute (the page header shows it), so the chart changes only when its numbers do.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any, Final

from leadpact.adapters.charts import PNG_SCALE, build_chart, japanese_font
from leadpact.service.labels import Lang
from leadpact.service.reports.chart_words import chart_words

KEEP: Final = 64
_SUBTITLES: Final[dict[Lang, dict[str, str]]] = {
    "en": {"subtitle.cohort": "{leads} leads, entered {period}"},
    "ja": {"subtitle.cohort": "{period}にファネルに入った{leads}件"},
}
Draw = Callable[[], Any]
"""Builds the Altair chart to draw."""


def font_for(lang: Lang) -> tuple[Lang, str | None]:
    """Japanese needs a CJK font; without one the chart is drawn in English (as the CLI does)."""
    if lang != "ja":
        return lang, None
    font = japanese_font()
    return ("ja", font) if font is not None else ("en", None)


def chart_url(digest: str) -> str:
    return f"/charts/{digest}.png"


class ChartCache:
    def __init__(self, keep: int = KEEP) -> None:
        self.keep = keep
        self._pending: OrderedDict[str, Draw] = OrderedDict()
        self._drawn: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()
        self._draw_lock = threading.Lock()
        self.drawn = 0
        self._langs: set[Lang] = set()

    def report_chart(self, data: Mapping[str, Any], lang: Lang) -> str:
        """The digest of the chart of a report's (or back-test's) JSON in ``lang``."""
        shown = {key: value for key, value in data.items() if key != "as_of"}
        chart_lang, font = font_for(lang)
        with self._lock:
            self._langs.add(lang)

        def draw() -> Any:
            words = {**chart_words(chart_lang), **_SUBTITLES[chart_lang]}
            return build_chart(shown, words, font)

        return self.chart(("report", shown, chart_lang, font), draw)

    def languages(self) -> tuple[Lang, ...]:
        """Languages pages asked charts in (the warmer draws those)."""
        with self._lock:
            return tuple(sorted(self._langs))

    def chart(self, identity: Any, draw: Draw) -> str:
        """Name the chart ``draw`` builds (drawn when first asked for) by a digest of
        ``identity`` (JSON-able: everything the chart shows)."""
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode("utf-8")).hexdigest()[:32]
        with self._lock:
            if digest not in self._drawn and digest not in self._pending:
                self._pending[digest] = draw
                _trim(self._pending, self.keep)
        return digest

    def png(self, digest: str) -> bytes | None:
        """The chart's PNG, drawn now if it was not yet; None for an unknown digest."""
        with self._lock:
            if digest in self._drawn:
                self._drawn.move_to_end(digest)
                return self._drawn[digest]
            draw = self._pending.get(digest)
        if draw is None:
            return None
        import vl_convert  # loaded on the first chart: importing it costs about a second

        with self._draw_lock:
            with self._lock:
                done = self._drawn.get(digest)
            if done is not None:
                return done
            image: bytes = vl_convert.vegalite_to_png(draw().to_dict(), scale=PNG_SCALE)
            self.drawn += 1
        with self._lock:
            self._drawn[digest] = image
            self._pending.pop(digest, None)
            _trim(self._drawn, self.keep)
        return image


def _trim(items: OrderedDict[str, Any], keep: int) -> None:
    while len(items) > keep:
        items.popitem(last=False)
