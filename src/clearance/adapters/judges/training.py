"""Training of the local refusal classifier with scikit-learn (a development dependency:
`pip install -e '.[dev]'`). Inference never imports it: see domain/judges/linear.py, which
evaluates the exported weights in pure Python; tests/adapters/test_refusal_classifier.py
checks that both give the same probabilities."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from clearance.domain.judges.linear import prepare

CLASSES = ["full_compliance", "partial_refusal", "full_refusal"]


def train(texts: Sequence[str], labels: Sequence[str], *, max_chars: int = 300, max_features: int = 20000,
          c: float = 4.0, min_df: int = 2, version: str = "refusal-charlr") -> dict[str, Any]:
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    prepared = [prepare(t, max_chars) for t in texts]
    y = [CLASSES.index(lab) for lab in labels]
    vec = TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=False,
                          max_features=max_features, min_df=min_df)
    x = vec.fit_transform(prepared)
    clf = LogisticRegression(C=c, max_iter=3000, class_weight="balanced")
    clf.fit(x, y)
    present = list(clf.classes_)
    vocab: dict[str, list[float]] = {}
    for g, col in vec.vocabulary_.items():
        w = [float(clf.coef_[present.index(k)][col]) if k in present else 0.0 for k in range(len(CLASSES))]
        vocab[str(g)] = [float(vec.idf_[col]), *w]
    intercept = [float(clf.intercept_[present.index(k)]) if k in present else -1e9 for k in range(len(CLASSES))]
    return {"version": f"{version}/{len(texts)}", "classes": CLASSES, "ngram": [1, 3], "max_chars": max_chars,
            "intercept": intercept, "vocab": vocab, "items": len(texts)}
