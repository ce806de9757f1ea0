"""Charts as SVG text, drawn on the server (the page loads nothing from elsewhere and works
offline). Every label is escaped; numbers are formatted by the caller."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from core.pipeline_stats import ReliabilityBin


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    values: tuple[float, ...]
    """One bar per series (e.g. median and p90), drawn side by side."""
    caption: str = ""
    """Text after the bars (e.g. "12 deals · $340k")."""


def bar_chart(bars: Sequence[Bar], *, title: str, series: Sequence[str] = ()) -> Markup:
    """Horizontal bars, one row per label; each series a shade. Empty input draws nothing."""
    if not bars:
        return Markup("")
    label_w, chart_w, caption_w = 150, 260, 170
    per_series = 12
    row_h = per_series * max(1, len(bars[0].values)) + 10
    legend_h = 18 if series else 0
    height = legend_h + row_h * len(bars) + 6
    width = label_w + chart_w + caption_w
    top = max((v for bar in bars for v in bar.values), default=0.0) or 1.0
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
    ]
    for n, name in enumerate(series):
        x = label_w + n * 110
        shade = " second" if n else ""
        parts.append(f'<rect class="bar{shade}" x="{x}" y="3" width="10" height="10"/>')
        parts.append(f'<text x="{x + 14}" y="12">{escape(name)}</text>')
    for row, bar in enumerate(bars):
        y = legend_h + row * row_h
        parts.append(f'<text x="{label_w - 6}" y="{y + row_h / 2 + 3:.1f}" text-anchor="end">'
                     f"{escape(_short(bar.label, 24))}</text>")  # fmt: skip
        for n, value in enumerate(bar.values):
            w = max(1.0, chart_w * value / top) if value > 0 else 0.0
            shade = " second" if n else ""
            parts.append(f'<rect class="bar{shade}" x="{label_w}" y="{y + 4 + n * per_series}" '
                         f'width="{w:.1f}" height="{per_series - 2}"/>')  # fmt: skip
        parts.append(f'<text x="{label_w + chart_w + 8}" y="{y + row_h / 2 + 3:.1f}">'
                     f"{escape(bar.caption)}</text>")  # fmt: skip
    parts.append(
        f'<line class="axis" x1="{label_w}" y1="{legend_h}" x2="{label_w}" y2="{height}"/>'
    )
    parts.append("</svg>")
    return Markup("".join(parts))


def reliability_diagram(bins: Sequence[ReliabilityBin], *, title: str) -> Markup:
    """Observed win rate against predicted probability per bin, with the ideal diagonal; dot
    size follows how many predictions the bin holds."""
    size, pad = 300, 36
    inner = size - 2 * pad

    def x(p: float) -> float:
        return pad + p * inner

    def y(p: float) -> float:
        return size - pad - p * inner

    parts = [
        f'<svg class="chart square" role="img" viewBox="0 0 {size} {size}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>",
        f'<line class="axis" x1="{pad}" y1="{size - pad}" x2="{size - pad}" y2="{size - pad}"/>',
        f'<line class="axis" x1="{pad}" y1="{pad}" x2="{pad}" y2="{size - pad}"/>',
        f'<line class="ideal" x1="{x(0)}" y1="{y(0)}" x2="{x(1)}" y2="{y(1)}"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{x(tick)}" y="{size - pad + 14}" text-anchor="middle">{tick:.0%}</text>'
        )
        parts.append(f'<text x="{pad - 4}" y="{y(tick) + 4}" text-anchor="end">{tick:.0%}</text>')
    parts.append(
        f'<text x="{size / 2}" y="{size - 4}" text-anchor="middle">predicted win probability</text>'
    )
    parts.append(
        f'<text x="10" y="{size / 2}" text-anchor="middle" '
        f'transform="rotate(-90 10 {size / 2})">observed win rate</text>'
    )
    full = [b for b in bins if b.count and b.mean_predicted is not None and b.observed is not None]
    if full:
        points = " ".join(f"{x(b.mean_predicted or 0):.1f},{y(b.observed or 0):.1f}" for b in full)
        parts.append(f'<polyline class="line" points="{points}"/>')
        most = max(b.count for b in full)
        for b in full:
            r = 2.5 + 4.5 * (b.count / most) ** 0.5
            parts.append(f'<circle class="dot" cx="{x(b.mean_predicted or 0):.1f}" '
                         f'cy="{y(b.observed or 0):.1f}" r="{r:.1f}"><title>'
                         f"{escape(_bin_text(b))}</title></circle>")  # fmt: skip
    parts.append("</svg>")
    return Markup("".join(parts))


def _bin_text(b: ReliabilityBin) -> str:
    return (
        f"{b.low:.0%}-{b.high:.0%}: {b.count} predictions, mean {b.mean_predicted or 0:.0%}, "
        f"won {b.observed or 0:.0%}"
    )


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
