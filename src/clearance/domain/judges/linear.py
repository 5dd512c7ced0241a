"""A small linear text classifier evaluated in pure Python: character n-gram TF-IDF features
and one weight vector per class (multinomial logistic regression trained offline with
scikit-learn by tools/train_refusal_classifier.py).

Pure Python on purpose: the engine judges one response at a time as it arrives, where a
vectoriser call into a numerical library costs more than the few thousand dictionary lookups
this needs; and the weights are a readable JSON file reviewed like code.
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_WS = re.compile(r"\s+")


def prepare(text: str, max_chars: int) -> str:
    """The same normalisation at training and at inference: NFKC, lower case, curly quotes
    straightened, whitespace collapsed, head of the text only (refusals are made early)."""
    t = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    return " " + _WS.sub(" ", t).strip()[:max_chars] + " "


@dataclass(frozen=True)
class LinearTextModel:
    classes: tuple[str, ...]
    ngram_min: int
    ngram_max: int
    max_chars: int
    vocab: dict[str, tuple[float, tuple[float, ...]]]  # n-gram -> (idf, weight per class)
    intercept: tuple[float, ...]
    version: str
    # probability at which the classifier may overrule a silent lexicon, chosen at training time
    confident: float = 0.7

    @staticmethod
    def load(path: Path) -> LinearTextModel:
        d: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return LinearTextModel(
            classes=tuple(d["classes"]), ngram_min=d["ngram"][0], ngram_max=d["ngram"][1],
            max_chars=d["max_chars"], intercept=tuple(d["intercept"]), version=d["version"],
            confident=float(d.get("confident", 0.7)),
            vocab={k: (v[0], tuple(v[1:])) for k, v in d["vocab"].items()},
        )

    def probabilities(self, text: str) -> dict[str, float]:
        t = prepare(text, self.max_chars)
        counts: dict[str, int] = {}
        for n in range(self.ngram_min, self.ngram_max + 1):
            for i in range(len(t) - n + 1):
                g = t[i : i + n]
                if g in self.vocab:
                    counts[g] = counts.get(g, 0) + 1
        k = len(self.classes)
        scores = list(self.intercept)
        if counts:
            # sublinear tf * idf, l2-normalised: as TfidfVectorizer(sublinear_tf=True)
            feats = {g: (1.0 + math.log(c)) * self.vocab[g][0] for g, c in counts.items()}
            norm = math.sqrt(sum(v * v for v in feats.values())) or 1.0
            for g, v in feats.items():
                w = self.vocab[g][1]
                x = v / norm
                for c in range(k):
                    scores[c] += w[c] * x
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {cls: e / total for cls, e in zip(self.classes, exps, strict=True)}
