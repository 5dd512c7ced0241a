"""A small linear text classifier evaluated in pure Python: character n-gram TF-IDF features
and one weight vector per class (multinomial logistic regression trained offline with
scikit-learn by tools/train_refusal_classifier.py).

Pure Python on purpose: the engine judges one response at a time as it arrives, where a
vectoriser call into a numerical library costs more than the few thousand dictionary lookups
this needs; and the weights are a readable JSON file reviewed like code.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_WS = re.compile(r"\s+")


def _norm(text: str) -> str:
    t = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'").replace("\u2018", "'")
    return _WS.sub(" ", t).strip()


def prepare(text: str, max_chars: int) -> str:
    """The same normalisation at training and at inference: NFKC, lower case, curly quotes
    straightened, whitespace collapsed, head of the text only (refusals are made early). Only a
    generous slice of a long answer is normalised, so the cost does not grow with its length."""
    return " " + _norm(text[:4 * max_chars + 64])[:max_chars] + " "


# 1 + log(c) for small counts: sublinear term frequency without a log call per n-gram
_SUBLINEAR = [0.0] + [1.0 + math.log(c) for c in range(1, 256)]


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
    # other decision parameters chosen at training time (e.g. the harm detector's threshold)
    params: dict[str, float] = field(default_factory=dict, compare=False)
    # n-gram -> (idf, idf * weight per class): what scoring needs, built once
    _scaled: dict[str, tuple[float, ...]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_scaled", {g: (idf, *(idf * x for x in w)) for g, (idf, w) in self.vocab.items()})

    @staticmethod
    def load(path: Path) -> LinearTextModel:
        return LinearTextModel.from_dict(json.loads(path.read_text(encoding="utf-8")))

    @staticmethod
    def from_dict(d: dict[str, Any]) -> LinearTextModel:
        """From the exported JSON structure (as written by the training tool)."""
        return LinearTextModel(
            classes=tuple(d["classes"]), ngram_min=d["ngram"][0], ngram_max=d["ngram"][1],
            max_chars=d["max_chars"], intercept=tuple(d["intercept"]), version=d["version"],
            confident=float(d.get("confident", 0.7)),
            params={k: float(v) for k, v in d.get("params", {}).items()},
            vocab={k: (v[0], tuple(v[1:])) for k, v in d["vocab"].items()},
        )

    def probabilities(self, text: str) -> dict[str, float]:
        t = prepare(text, self.max_chars)
        scaled = self._scaled
        # the n-grams of the prepared text that are features, counted; built with C-level
        # iterators (a Python loop per n-gram would cost more than the scoring)
        grams: list[Iterable[str]] = []
        prev: list[str] = list(t)
        for n in range(1, self.ngram_max + 1):
            if n > 1:
                prev = list(map(str.__add__, prev[:-1], t[n - 1:]))
            if n >= self.ngram_min:
                grams.append(prev)
        hits = Counter(filter(scaled.__contains__, itertools.chain.from_iterable(grams)))
        k = len(self.classes)
        sums = [0.0] * k
        squares = 0.0
        # sublinear tf * idf, l2-normalised: as TfidfVectorizer(sublinear_tf=True); the norm
        # divides every feature, so it is applied once to the sums
        if k == 3:
            s0 = s1 = s2 = 0.0
            for g, c in hits.items():
                e = scaled[g]
                tf = _SUBLINEAR[c] if c < 256 else 1.0 + math.log(c)
                squares += (tf * e[0]) ** 2
                s0 += tf * e[1]
                s1 += tf * e[2]
                s2 += tf * e[3]
            sums = [s0, s1, s2]
        else:
            for g, c in hits.items():
                e = scaled[g]
                tf = _SUBLINEAR[c] if c < 256 else 1.0 + math.log(c)
                squares += (tf * e[0]) ** 2
                for j in range(k):
                    sums[j] += tf * e[j + 1]
        norm = math.sqrt(squares) or 1.0
        scores = [b + v / norm for b, v in zip(self.intercept, sums, strict=True)]
        top = max(scores)
        exps = [math.exp(s - top) for s in scores]
        total = sum(exps)
        return {cls: e / total for cls, e in zip(self.classes, exps, strict=True)}
