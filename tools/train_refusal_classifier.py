"""Train the local refusal classifier (layer 3 of the refusal judge) on the development splits of
the calibration set (`dev` and `dev2`) and write its weights as JSON inside the package.

    python tools/train_refusal_classifier.py

The confidence threshold is chosen from out-of-fold predictions on the same development rows
(5-fold cross-validation). The held-out split is never read here; bench/judges.py measures on it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from clearance.adapters.judges.training import (
    choose_threshold,
    load_calibration,
    out_of_fold,
    train,
)
from clearance.domain.judges.layered import LayeredRefusalJudge
from clearance.domain.judges.refusal import LexicalRefusalJudge

ROOT = Path(__file__).resolve().parents[1]
CALIBRATION = ROOT / "datasets" / "judge-calibration"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "src" / "clearance" / "data" / "models" / "refusal-classifier.json")
    ap.add_argument("--splits", default="dev,dev2,dev3", help="comma-separated training splits (never a held-out one)")
    ap.add_argument("--max-chars", type=int, default=300)
    ap.add_argument("--c", type=float, default=4.0)
    a = ap.parse_args()
    splits = set(a.splits.split(","))
    if any(s.startswith("heldout") for s in splits):
        raise SystemExit("held-out splits are for measurement only")
    rows = load_calibration(CALIBRATION, splits)
    params = {"max_chars": a.max_chars, "c": a.c}
    model = train([r["response"] for r in rows], [r["label"] for r in rows], **params)
    judge = LayeredRefusalJudge(LexicalRefusalJudge())
    model["confident"], cv = choose_threshold(judge, rows, out_of_fold(rows, **params))
    print(f"confidence threshold chosen by 5-fold cross-validation on {a.splits}: {model['confident']} "
          f"(mean per-language CV refusal F1 {cv:.3f})")
    # round for a reviewable file; drop features that move no class
    model["vocab"] = {g: [round(v, 5) for v in w] for g, w in model["vocab"].items() if max(abs(x) for x in w[1:]) >= 1e-3}
    model["intercept"] = [round(v, 5) for v in model["intercept"]]
    model["trained_on"] = f"datasets/judge-calibration, splits {', '.join(sorted(splits))}"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} training items, {len(model['vocab'])} features -> {a.out}")


if __name__ == "__main__":
    main()
