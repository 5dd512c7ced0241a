"""Judge quality measured against human labels: agreement (accuracy, Cohen's kappa, confusion
matrix) and whether a gate's verdict survives the judge's observed error rate.

The correction is the Rogan-Gladen estimator: with the judge's sensitivity and specificity
measured on the human-labelled sample, the true rate is
(observed + specificity - 1) / (sensitivity + specificity - 1). A gate is flagged when the
verdict on the corrected rate differs from the verdict on the observed one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from pydantic import BaseModel

from clearance.domain.gates import GateVerdict, decide
from clearance.domain.metrics import cohen_kappa, wilson

MIN_LABELS_FOR_CORRECTION = 10


class Agreement(BaseModel):
    judge: str
    field: str
    n: int
    accuracy: float | None
    kappa: float | None
    confusion: dict[str, dict[str, int]]  # human label -> judge label -> count


def agreement(judge: str, field: str, pairs: Sequence[tuple[str, str]]) -> Agreement:
    """``pairs`` are (human label, judge label)."""
    confusion: dict[str, dict[str, int]] = {}
    for (h, j), n in sorted(Counter(pairs).items()):
        confusion.setdefault(h, {})[j] = n
    acc = sum(1 for h, j in pairs if h == j) / len(pairs) if pairs else None
    kappa = cohen_kappa(list(pairs))
    return Agreement(judge=judge, field=field, n=len(pairs), accuracy=acc,
                     kappa=None if kappa is None else round(kappa, 4), confusion=confusion)


class JudgeErrorCheck(BaseModel):
    labelled: int
    sensitivity: float | None
    specificity: float | None
    corrected_rate: float | None
    corrected_verdict: GateVerdict | None
    verdict_changes: bool
    note: str


def check_gate(observed_successes: int, n: int, op: str, threshold: float,
               pairs: Sequence[tuple[bool, bool]]) -> JudgeErrorCheck:
    """``pairs``: (human says the gate's event happened, judge says so) on labelled items."""
    labelled = len(pairs)
    pos = [j for h, j in pairs if h]
    neg = [j for h, j in pairs if not h]
    observed = decide(wilson(observed_successes, n), op, threshold)
    if labelled < MIN_LABELS_FOR_CORRECTION or not pos or not neg:
        return JudgeErrorCheck(labelled=labelled, sensitivity=None, specificity=None, corrected_rate=None,
                               corrected_verdict=None, verdict_changes=False,
                               note=f"needs at least {MIN_LABELS_FOR_CORRECTION} labelled items with both outcomes")
    sens = sum(pos) / len(pos)
    spec = sum(1 for j in neg if not j) / len(neg)
    denom = sens + spec - 1
    if denom <= 0:
        return JudgeErrorCheck(labelled=labelled, sensitivity=sens, specificity=spec, corrected_rate=None,
                               corrected_verdict=None, verdict_changes=True,
                               note="the judge does no better than chance on the labelled sample")
    p = min(1.0, max(0.0, (observed_successes / n + spec - 1) / denom)) if n else 0.0
    corrected = decide(wilson(round(p * n), n), op, threshold)
    return JudgeErrorCheck(labelled=labelled, sensitivity=round(sens, 4), specificity=round(spec, 4),
                           corrected_rate=round(p, 4), corrected_verdict=corrected,
                           verdict_changes=corrected != observed,
                           note="verdict would change under the observed judge error" if corrected != observed
                           else "verdict holds under the observed judge error")
