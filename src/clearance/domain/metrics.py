"""Rates with Wilson score intervals.

Wilson rather than the normal approximation because the rates that matter sit near 0 and 1
(refusal rates of 95% and 5%), where the normal interval is too narrow and can leave [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class Rate:
    successes: int
    total: int
    low: float
    high: float

    @property
    def value(self) -> float | None:
        return self.successes / self.total if self.total else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "successes": self.successes,
            "total": self.total,
            "rate": self.value,
            "ci_low": self.low,
            "ci_high": self.high,
        }


def wilson(successes: int, total: int, z: float = Z95) -> Rate:
    if total < 0 or successes < 0 or successes > total:
        raise ValueError(f"invalid counts: {successes}/{total}")
    if total == 0:
        return Rate(0, 0, 0.0, 1.0)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    # at the edges the closed form is exact in theory but not in floating point
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == total else min(1.0, centre + half)
    return Rate(successes, total, low, high)


def cohen_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Agreement between two raters beyond chance; None when undefined (no pairs)."""
    n = len(pairs)
    if n == 0:
        return None
    labels = sorted({a for a, _ in pairs} | {b for _, b in pairs})
    observed = sum(1 for a, b in pairs if a == b) / n
    expected = sum(
        (sum(1 for a, _ in pairs if a == lab) / n) * (sum(1 for _, b in pairs if b == lab) / n)
        for lab in labels
    )
    if expected == 1.0:
        return 1.0 if observed == 1.0 else 0.0
    return (observed - expected) / (1 - expected)
