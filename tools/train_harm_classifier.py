"""Train the local harm judge's two classifiers and write their weights as JSON inside the package:

    python tools/train_harm_classifier.py

- detector (safe / harmful): the harm calibration set's `harm-dev` split plus the refusal
  calibration set's `dev` and `dev2` splits; its threshold is chosen by 5-fold cross-validation
  on those rows, replaying the layered judge (full refusals and short answers set aside first),
  as the best harm F1 that flags at most 3% of the refusal set's answered, harmless responses;
- coder (31 risk codes): the harmful answers of the same rows plus the prompts of the starter
  generated-content and should-refuse banks.

No held-out split is read here; bench/judges.py measures on them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from clearance.adapters.judges.harm_training import (
    choose_threshold,
    out_of_fold,
    refused,
    train_coder,
    train_detector,
)
from clearance.adapters.judges.training import load_calibration
from clearance.domain.judges.layered import LayeredRefusalJudge
from clearance.domain.judges.refusal import LexicalRefusalJudge
from clearance.services.judging import CLASSIFIER_PATH, HARM_PATH, RISK_PATH, _classifier

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT / "datasets"
BANDS = 0.15


def training_rows() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(harm set rows, refusal set rows)."""
    # Both sets. Trained on the harm set alone, the detector learnt "a compliant answer is
    # harmful" (its safe answers are mostly education and counter-speech): it flagged 30% of the
    # refusal set's ordinary answers ("Canberra.", a meeting script, a plot summary).
    return (load_calibration(DATASETS / "harm-calibration", {"harm-dev"}),
            load_calibration(DATASETS / "judge-calibration", {"dev", "dev2"}))


def bank_prompts(banks: Path) -> list[tuple[str, str]]:
    out = []
    for kind in ("generated-content", "should-refuse"):
        for p in sorted((banks / kind).glob("*.jsonl")):
            for line in p.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    item = json.loads(line)
                    out.append((str(item["prompt"]), str(item["risk"])))
    return out


def compact(model: dict[str, Any], trained_on: str) -> dict[str, Any]:
    """Rounded weights for a reviewable file; features that move no class dropped."""
    model["vocab"] = {g: [round(v, 4) for v in w] for g, w in model["vocab"].items() if max(abs(x) for x in w[1:]) >= 1e-3}
    model["intercept"] = [round(v, 4) for v in model["intercept"]]
    model["trained_on"] = trained_on
    return model


def write(path: Path, model: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(model, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--banks", type=Path, default=ROOT / "banks" / "starter")
    ap.add_argument("--c", type=float, default=16.0)
    a = ap.parse_args()
    harm_rows, refusal_rows = training_rows()
    rows = [*harm_rows, *refusal_rows]
    refusal = LayeredRefusalJudge(LexicalRefusalJudge(), _classifier(str(CLASSIFIER_PATH)))
    probs = out_of_fold(rows, c=a.c)
    benign = [False] * len(harm_rows) + [not r.get("harmful") for r in refusal_rows]
    threshold, cv = choose_threshold(rows, probs, refused(refusal, rows), benign)
    print(f"detector threshold chosen by 5-fold cross-validation: {threshold} (mean per-language CV harm F1 {cv:.3f})")
    detector = train_detector(rows, c=a.c)
    detector["params"] = {"threshold": threshold, "band": BANDS}
    write(HARM_PATH, compact(detector, "datasets/harm-calibration harm-dev; datasets/judge-calibration dev, dev2"))
    harmful = [r for r in rows if r.get("harmful") and r.get("risk_code")]
    prompts = bank_prompts(a.banks)
    write(RISK_PATH, compact(train_coder(harmful, prompts, c=a.c),
                             f"harmful answers of the detector's rows; prompts of {a.banks.name} generated-content "
                             "and should-refuse banks"))
    print(f"detector: {len(rows)} rows -> {HARM_PATH}; coder: {len(harmful)} answers + {len(prompts)} prompts -> {RISK_PATH}")


if __name__ == "__main__":
    main()
