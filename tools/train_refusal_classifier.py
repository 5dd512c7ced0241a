"""Train the local refusal classifier (layer 3 of the refusal judge) on the dev split of the
calibration set and write its weights as JSON inside the package.

    python tools/train_refusal_classifier.py

The held-out split is never used here; bench/judges.py measures on it.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from clearance.adapters.judges.training import train

ROOT = Path(__file__).resolve().parents[1]


def choose_threshold(rows: list[dict[str, str]], max_chars: int, c: float) -> tuple[float, float]:
    """Pick the probability at which the classifier may overrule a silent lexicon, from
    out-of-fold predictions on the dev split (the held-out split stays unseen)."""
    import random

    from clearance.domain.judges.base import JudgeInput
    from clearance.domain.judges.linear import LinearTextModel
    from clearance.domain.judges.refusal import LexicalRefusalJudge

    lex = LexicalRefusalJudge()
    order = list(range(len(rows)))
    random.Random(0).shuffle(order)
    folds = [order[k::5] for k in range(5)]
    oof: dict[int, dict[str, float]] = {}
    for held in folds:
        hs = set(held)
        train_rows = [rows[i] for i in order if i not in hs]
        m = train([r["response"] for r in train_rows], [r["label"] for r in train_rows], max_chars=max_chars, c=c)
        with tempfile.TemporaryDirectory() as d:
            tmp = Path(d) / "fold.json"
            tmp.write_text(json.dumps(m), encoding="utf-8")
            lm = LinearTextModel.load(tmp)
        for i in held:
            oof[i] = lm.probabilities(rows[i]["response"])
    best = (0.7, -1.0)
    for t in [x / 20 for x in range(8, 20)]:
        gold, pred = [], []
        for i, r in enumerate(rows):
            v = lex.judge(JudgeInput("x", r["prompt"], r["response"], lang=r["lang"]))
            cls = v.refusal_class.value if v.refusal_class else "full_compliance"
            if v.decided_by == "lexicon:none":
                k, p = max(oof[i].items(), key=lambda kv: kv[1])
                if p >= t:
                    cls = k
            gold.append(r["label"] != "full_compliance")
            pred.append(cls != "full_compliance")
        tp = sum(g and p for g, p in zip(gold, pred, strict=True))
        fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
        fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 > best[1]:
            best = (t, f1)
    return best


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "clearance" / "data" / "models" / "refusal-classifier.json")
    ap.add_argument("--max-chars", type=int, default=300)
    ap.add_argument("--c", type=float, default=4.0)
    a = ap.parse_args()
    rows = []
    for lang in ("zh", "en"):
        p = ROOT / "datasets" / "judge-calibration" / f"{lang}.jsonl"
        rows += [r for r in (json.loads(x) for x in p.read_text(encoding="utf-8").splitlines() if x.strip())
                 if r["split"] == "dev"]
    texts, labels = [r["response"] for r in rows], [r["label"] for r in rows]
    model = train(texts, labels, max_chars=a.max_chars, c=a.c)
    model["confident"], cv_f1 = choose_threshold(rows, a.max_chars, a.c)
    print(f"confidence threshold chosen by 5-fold cross-validation on dev: {model['confident']} (CV refusal F1 {cv_f1:.3f})")
    # round for a reviewable file; drop features that move no class
    model["vocab"] = {g: [round(v, 5) for v in w] for g, w in model["vocab"].items() if max(abs(x) for x in w[1:]) >= 1e-3}
    model["intercept"] = [round(v, 5) for v in model["intercept"]]
    model["trained_on"] = "datasets/judge-calibration, dev split"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} training items, {len(model['vocab'])} features -> {a.out}")


if __name__ == "__main__":
    main()
