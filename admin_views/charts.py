"""How statistics figures look: German notation, and bar charts as SVG drawn on the server.

The charts need no JavaScript and no external files. Every text that goes into the SVG is
escaped; the chart is shown next to its table, which carries the same figures (in the same
notation, ``format_cell``) for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from models.statistics import DASH

WIDTH = 640
LABEL_WIDTH = 230
VALUE_WIDTH = 60
BAR_HEIGHT = 18
GAP = 6
MAX_LABEL = 34


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def format_cell(value: object) -> str:
    """A figure in German notation: 1.234 and 66,7; no value is a dash."""
    if value is None:
        return DASH
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}".replace(",", ".")
    if isinstance(value, float):
        return f"{value:,.1f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    return str(value)


def bar_chart(title: str, bars: Sequence[tuple[str, object]]) -> Markup:
    """Horizontal bars; a hidden value (``"<5"`` or ``"x"``) gets no bar, only its mark."""
    numeric = [value for _label, value in bars if isinstance(value, int | float)]
    largest = max(numeric, default=0) or 1
    room = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    height = max(len(bars), 1) * (BAR_HEIGHT + GAP) + GAP
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="kim-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
    ]
    for index, (label, value) in enumerate(bars):
        y = GAP + index * (BAR_HEIGHT + GAP)
        text_y = y + BAR_HEIGHT - 5
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{text_y}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_short(label))}</text>"
        )
        length = 0
        if isinstance(value, int | float) and value > 0:
            length = max(1, round(room * value / largest))
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
                f'fill="#2f6f9f"></rect>'
            )
        parts.append(
            f'<text x="{LABEL_WIDTH + length + 4}" y="{text_y}">{escape(format_cell(value))}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every interpolated text is escaped above
