"""Registry statistics, shaped from grouped counts. The database does the counting (GROUP BY);
these functions order, accumulate and label, so the page, its JSON and its CSV agree."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from clearance.domain.registry.provinces import BY_KEY


@dataclass(frozen=True, slots=True)
class Count:
    key: str
    label_zh: str
    label_en: str
    count: int


@dataclass(frozen=True, slots=True)
class CumulativePoint:
    day: date
    added: int
    total: int
    batches: tuple[str, ...]   # batch keys published that day, marked on the chart


def cumulative(by_day: Mapping[date, int], batch_days: Iterable[tuple[str, date]] = ()) -> list[CumulativePoint]:
    """Running total per dated day; a batch day without new dated entries still gets a point so
    its marker has a place on the axis."""
    marks: dict[date, list[str]] = {}
    for key, day in batch_days:
        marks.setdefault(day, []).append(key)
    total = 0
    out: list[CumulativePoint] = []
    for day in sorted(set(by_day) | set(marks)):
        added = by_day.get(day, 0)
        total += added
        out.append(CumulativePoint(day, added, total, tuple(sorted(marks.get(day, ())))))
    return out


def by_province(counts: Mapping[str | None, int]) -> list[Count]:
    """Ranked, largest first; entries with no stated or derivable province are one 'unknown' row
    at the end, so the ranked list still adds up to the total."""
    rows = [Count(k, BY_KEY[k].short, BY_KEY[k].en, n) for k, n in counts.items() if k is not None and k in BY_KEY]
    rows.sort(key=lambda c: (-c.count, c.key))
    unknown = sum(n for k, n in counts.items() if k is None or k not in BY_KEY)
    if unknown:
        rows.append(Count("unknown", "未注明", "not stated", unknown))
    return rows


def by_month(counts: Mapping[str | None, int]) -> list[Count]:
    """Chronological, with empty months filled in so the bar chart's axis is true to time."""
    months = sorted(k for k in counts if k)
    out: list[Count] = []
    if months:
        y, m = map(int, months[0].split("-"))
        end = months[-1]
        while True:
            key = f"{y:04d}-{m:02d}"
            out.append(Count(key, key, key, counts.get(key, 0)))
            if key >= end:
                break
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    undated = counts.get(None, 0)
    if undated:
        out.append(Count("undated", "未注明日期", "undated", undated))
    return out


_KIND_LABELS = {"filing": ("备案", "filing"), "registration": ("登记", "registration")}


def by_kind(counts: Mapping[str, int]) -> list[Count]:
    return [Count(k, *_KIND_LABELS.get(k, (k, k)), counts.get(k, 0)) for k in ("filing", "registration")]


def labelled(counts: Mapping[str | None, int], labels: Mapping[str, tuple[str, str]]) -> list[Count]:
    """A facet's counts with bilingual labels, in the labels' order, 'not stated' last."""
    out = [Count(k, *labels[k], counts[k]) for k in labels if counts.get(k)]
    missing = sum(n for k, n in counts.items() if k is None or k not in labels)
    if missing:
        out.append(Count("unknown", "未注明", "not stated", missing))
    return out


def total(rows: Sequence[Count]) -> int:
    return sum(c.count for c in rows)


PHASES: tuple[str, ...] = ("provincial_review", "technical_assessment", "central_review", "total")


@dataclass(frozen=True, slots=True)
class Spread:
    """Days spent in one phase across approved filings: median and spread."""

    phase: str
    n: int
    median: float
    p25: float
    p75: float
    low: float
    high: float


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    # linear interpolation between closest ranks (numpy's default), exact for small n
    pos = (len(sorted_values) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def durations(rows: Iterable[Mapping[str, float]]) -> list[Spread]:
    """Per phase, over the entries that have it (a registration has no technical assessment)."""
    by_phase: dict[str, list[float]] = {p: [] for p in PHASES}
    for r in rows:
        for p in PHASES:
            if p in r:
                by_phase[p].append(float(r[p]))
    out = []
    for p in PHASES:
        v = sorted(by_phase[p])
        if v:
            out.append(Spread(p, len(v), round(_quantile(v, 0.5), 2), round(_quantile(v, 0.25), 2),
                              round(_quantile(v, 0.75), 2), round(v[0], 2), round(v[-1], 2)))
    return out
