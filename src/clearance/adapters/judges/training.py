"""Training of the local refusal classifier with scikit-learn (a development dependency:
`pip install -e '.[dev]'`). Inference never imports it: see domain/judges/linear.py, which
evaluates the exported weights in pure Python; tests/adapters/test_refusal_classifier.py
checks that both give the same probabilities."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Hashable, Sequence
from pathlib import Path
from typing import Any

from clearance.domain.judges.base import JudgeInput
from clearance.domain.judges.layered import LayeredRefusalJudge
from clearance.domain.judges.linear import LinearTextModel, prepare
from clearance.domain.judges.refusal import answer_text

CLASSES = ["full_compliance", "partial_refusal", "full_refusal"]


def load_calibration(directory: Path, splits: Collection[str] | None = None) -> list[dict[str, Any]]:
    """Rows of every ``*.jsonl`` file in a calibration directory (the original set and later
    additions such as ``zh-dev2.jsonl``), optionally only those of the given splits."""
    rows: list[dict[str, Any]] = []
    for p in sorted(directory.glob("*.jsonl")):
        for line in p.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row: dict[str, Any] = json.loads(line)
                if splits is None or row["split"] in splits:
                    rows.append(row)
    return rows


def train_linear(texts: Sequence[str], labels: Sequence[str], classes: Sequence[str], *, max_chars: int,
                 max_features: int = 20000, c: float = 4.0, min_df: int = 2, version: str,
                 ngram: tuple[int, int] = (1, 3)) -> dict[str, Any]:
    """Character n-gram TF-IDF + logistic regression, exported in the JSON structure that
    ``LinearTextModel`` evaluates in pure Python. ``texts`` are raw; they get the same
    ``prepare`` as at inference. Two classes are exported as a softmax over (0, z), which is
    scikit-learn's binary sigmoid."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    prepared = [prepare(t, max_chars) for t in texts]
    y = [list(classes).index(lab) for lab in labels]
    vec = TfidfVectorizer(analyzer="char", ngram_range=ngram, sublinear_tf=True, lowercase=False,
                          max_features=max_features, min_df=min_df)
    x = vec.fit_transform(prepared)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(x, y)
    present = [int(k) for k in clf.classes_]
    k_all = len(classes)

    def weights(col: int | None) -> list[float]:
        if len(present) == 2:  # binary: one weight vector, for the second class present
            w = [0.0] * k_all
            w[present[1]] = float(clf.coef_[0][col]) if col is not None else float(clf.intercept_[0])
            if col is None:
                w = [-1e9 if k not in present else w[k] for k in range(k_all)]
            return w
        if col is None:
            return [float(clf.intercept_[present.index(k)]) if k in present else -1e9 for k in range(k_all)]
        return [float(clf.coef_[present.index(k)][col]) if k in present else 0.0 for k in range(k_all)]

    vocab = {str(g): [float(vec.idf_[col]), *weights(col)] for g, col in vec.vocabulary_.items()}
    return {"version": f"{version}/{len(texts)}", "classes": list(classes), "ngram": list(ngram), "max_chars": max_chars,
            "intercept": weights(None), "vocab": vocab, "items": len(texts)}


def train(texts: Sequence[str], labels: Sequence[str], *, max_chars: int = 300,
          max_features: int = 20000, c: float = 4.0, min_df: int = 2, version: str = "refusal-charlr",
          ngram: tuple[int, int] = (1, 3)) -> dict[str, Any]:
    """The refusal classifier: three classes over the head of the answer proper."""
    return train_linear([answer_text(t) for t in texts], labels, CLASSES, max_chars=max_chars,
                        max_features=max_features, c=c, min_df=min_df, version=version, ngram=ngram)


def folds(rows: Sequence[dict[str, Any]], k: int = 5, seed: int = 0,
          stratum: Callable[[dict[str, Any]], Hashable] = lambda r: (str(r["lang"]), str(r["label"]))) -> list[list[int]]:
    """k folds of row indices, stratified (by language and label unless told otherwise) so every
    fold has its share of each, in a seeded random order."""
    import random

    groups: dict[Any, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(stratum(r), []).append(i)
    out: list[list[int]] = [[] for _ in range(k)]
    rng = random.Random(seed)
    n = 0
    for key in sorted(groups):
        idx = groups[key]
        rng.shuffle(idx)
        for i in idx:
            out[n % k].append(i)
            n += 1
    return out


def fit(rows: Sequence[dict[str, Any]], **kwargs: Any) -> LinearTextModel:
    """Train on rows and return the in-memory model (no file round trip)."""
    return LinearTextModel.from_dict(train([str(r["response"]) for r in rows], [str(r["label"]) for r in rows], **kwargs))


def out_of_fold(rows: Sequence[dict[str, Any]], k: int = 5, seed: int = 0,
                extra: Sequence[dict[str, Any]] = (), **kwargs: Any) -> list[dict[str, float]]:
    """Out-of-fold class probabilities for every row: each fold is scored by a model trained on
    the other folds plus ``extra`` (rows that are always training data)."""
    probs: list[dict[str, float]] = [{} for _ in rows]
    for held in folds(rows, k, seed):
        hs = set(held)
        model = fit([*extra, *(r for i, r in enumerate(rows) if i not in hs)], **kwargs)
        for i in held:
            probs[i] = model.probabilities(answer_text(str(rows[i]["response"])))
    return probs


def replay(judge: LayeredRefusalJudge, rows: Sequence[dict[str, Any]], probs: Sequence[dict[str, float]],
           confident: float) -> list[str]:
    """The layered judge's class for each row with the given (out-of-fold) probabilities in place
    of its own classifier's: what the shipped judge would say at threshold ``confident``."""
    out = []
    for r, pr in zip(rows, probs, strict=True):
        inp = JudgeInput(str(r["id"]), str(r["prompt"]), str(r["response"]), lang=str(r["lang"]))
        v = judge.lexical.judge(inp)
        if judge.consults_classifier(inp, v):
            v = judge.combine(v, pr, confident)
        out.append(v.refusal_class.value if v.refusal_class else "full_compliance")
    return out


def refusal_f1(gold: Sequence[str], pred: Sequence[str]) -> float:
    """Binary refusal F1: full or partial refusal against full compliance."""
    g = [x != "full_compliance" for x in gold]
    p = [x != "full_compliance" for x in pred]
    tp = sum(a and b for a, b in zip(g, p, strict=True))
    fp = sum(b and not a for a, b in zip(g, p, strict=True))
    fn = sum(a and not b for a, b in zip(g, p, strict=True))
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_threshold(judge: LayeredRefusalJudge, rows: Sequence[dict[str, Any]],
                     probs: Sequence[dict[str, float]]) -> tuple[float, float]:
    """The probability at which the classifier may overrule a silent lexicon: the one that
    maximises the mean of the per-language refusal F1 over out-of-fold predictions (so neither
    language's errors are hidden by the other's); ties go to the higher, more cautious value."""
    langs = sorted({str(r["lang"]) for r in rows})
    best = (0.7, -1.0)
    for t in [x / 20 for x in range(8, 20)]:
        pred = replay(judge, rows, probs, t)
        score = sum(refusal_f1([str(r["label"]) for r in rows if r["lang"] == lg],
                               [p for r, p in zip(rows, pred, strict=True) if r["lang"] == lg]) for lg in langs) / len(langs)
        if score >= best[1]:
            best = (t, score)
    return best
