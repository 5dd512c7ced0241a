"""Server-side SVG charts: no CDN, no script. Plain strings, escaped; sized in viewBox units so
the page scales them."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from clearance.domain.registry.stats import Count, CumulativePoint

_FONT = 'font-family="system-ui, sans-serif" font-size="11"'
_BAR = "#2b6cb0"
_MARK = "#c53030"


def _label(c: Count, lang: str) -> str:
    return c.label_en if lang == "en" else c.label_zh


def hbar(rows: Sequence[Count], *, lang: str, title: str, width: int = 640) -> str:
    """Horizontal bars, one per row, largest first as given (province ranking)."""
    if not rows:
        return ""
    bar_h, gap, left, right = 18, 4, 150, 50
    height = len(rows) * (bar_h + gap) + 10
    peak = max(c.count for c in rows) or 1
    span = width - left - right
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>']
    for i, c in enumerate(rows):
        y = 5 + i * (bar_h + gap)
        w = max(1.0, span * c.count / peak)
        parts.append(f'<text x="{left - 6}" y="{y + 13}" text-anchor="end" {_FONT}>{escape(_label(c, lang))}</text>'
                     f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{_BAR}"/>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 13}" {_FONT}>{c.count}</text>')
    parts.append("</svg>")
    return "".join(parts)


def columns(rows: Sequence[Count], *, lang: str, title: str, width: int = 720, height: int = 220) -> str:
    """Vertical bars in order (months); every few labels shown so they do not overlap."""
    if not rows:
        return ""
    left, bottom, top = 30, 40, 10
    span_w, span_h = width - left - 10, height - bottom - top
    peak = max(c.count for c in rows) or 1
    step = span_w / len(rows)
    every = max(1, round(len(rows) / 12))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {_FONT}>{peak}</text>',
             f'<line x1="{left}" y1="{top + span_h}" x2="{width - 10}" y2="{top + span_h}" stroke="#999"/>']
    for i, c in enumerate(rows):
        h = span_h * c.count / peak
        x = left + i * step
        parts.append(f'<rect x="{x + 1:.1f}" y="{top + span_h - h:.1f}" width="{max(1.0, step - 2):.1f}" '
                     f'height="{h:.1f}" fill="{_BAR}"><title>{escape(_label(c, lang))}: {c.count}</title></rect>')
        if i % every == 0:
            parts.append(f'<text x="{x + step / 2:.1f}" y="{top + span_h + 14}" text-anchor="middle" '
                         f'{_FONT}>{escape(_label(c, lang))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def cumulative(points: Sequence[CumulativePoint], *, title: str, width: int = 720, height: int = 260) -> str:
    """Step line of the running total over time, with a vertical marker per batch."""
    if not points:
        return ""
    left, bottom, top, right = 40, 30, 10, 10
    span_w, span_h = width - left - right, height - bottom - top
    t0, t1 = points[0].day.toordinal(), points[-1].day.toordinal()
    days = max(1, t1 - t0)
    peak = max(p.total for p in points) or 1

    def x(p: CumulativePoint) -> float:
        return left + span_w * (p.day.toordinal() - t0) / days

    def y(v: int) -> float:
        return top + span_h - span_h * v / peak

    path, prev = [], 0
    for p in points:
        path.append(f"L{x(p):.1f},{y(prev):.1f} L{x(p):.1f},{y(p.total):.1f}")
        prev = p.total
    d = f"M{left},{y(0):.1f} " + " ".join(path)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" class="chart"><title>{escape(title)}</title>',
             f'<line x1="{left}" y1="{top + span_h}" x2="{width - right}" y2="{top + span_h}" stroke="#999"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" {_FONT}>{peak}</text>']
    for p in points:
        for key in p.batches:
            parts.append(f'<line x1="{x(p):.1f}" y1="{top}" x2="{x(p):.1f}" y2="{top + span_h}" stroke="{_MARK}" '
                         f'stroke-dasharray="2,3" stroke-width="1"><title>{escape(key)}</title></line>')
    parts.append(f'<path d="{d}" fill="none" stroke="{_BAR}" stroke-width="2"/>')
    for p, anchor in ((points[0], "start"), (points[-1], "end")):
        parts.append(f'<text x="{x(p):.1f}" y="{height - 10}" text-anchor="{anchor}" {_FONT}>{p.day.isoformat()}</text>')
    parts.append("</svg>")
    return "".join(parts)
