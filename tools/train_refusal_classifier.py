"""Train the local refusal classifier (layer 3 of the refusal judge) on the dev split of the
calibration set and write its weights as JSON inside the package.

    python tools/train_refusal_classifier.py

The held-out split is never used here; bench/judges.py measures on it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from clearance.adapters.judges.training import train

ROOT = Path(__file__).resolve().parents[1]


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
    model = train([r["response"] for r in rows], [r["label"] for r in rows], max_chars=a.max_chars, c=a.c)
    # round for a reviewable file; drop features that move no class
    model["vocab"] = {g: [round(v, 5) for v in w] for g, w in model["vocab"].items() if max(abs(x) for x in w[1:]) >= 1e-3}
    model["intercept"] = [round(v, 5) for v in model["intercept"]]
    model["trained_on"] = "datasets/judge-calibration, dev split"
    a.out.parent.mkdir(parents=True, exist_ok=True)
    a.out.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")
    print(f"{len(rows)} training items, {len(model['vocab'])} features -> {a.out}")


if __name__ == "__main__":
    main()
