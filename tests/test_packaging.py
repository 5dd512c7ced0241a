"""The wheel carries everything the installed app reads at run time: a non-editable install
(`pip install .`) once served a demo without its registry because a data folder was left out."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = (
    "clearance/data/banks/VERSION.json",
    "clearance/data/registry-sample/registry-sample.csv",
    "clearance/data/models/refusal-classifier.json",
    "clearance/data/models/harm-classifier.json",
    "clearance/data/models/risk-classifier.json",
    "clearance/locale/zh_CN/LC_MESSAGES/workspace.po",
    "clearance/interfaces/web/templates/workspace/filing.html",
    "clearance/interfaces/web/static/app.js",
    "clearance/adapters/db/migrations/versions/0001_assessment_runs_items_and_bank_versions.py",
)


@pytest.mark.slow
def test_the_wheel_carries_the_runtime_data(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True)
    wheel = next(tmp_path.glob("clearance-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    missing = [r for r in REQUIRED if r not in names]
    assert not missing, f"not in {wheel.name}: {missing}"
    assert any(n.startswith("clearance/data/banks/") and n.endswith(".jsonl") for n in names)
