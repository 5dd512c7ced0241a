from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from clearance.adapters.bankfiles import load_bank_set
from clearance.domain.banks import BankValidationError, Kind
from tests.conftest import FIXTURE_BANKS


def _copy(tmp_path: Path) -> Path:
    dst = tmp_path / "banks"
    shutil.copytree(FIXTURE_BANKS, dst)
    return dst


def test_fixture_banks_load_with_hashes() -> None:
    bs = load_bank_set(FIXTURE_BANKS)
    assert set(bs.banks) == {Kind.GENERATED_CONTENT, Kind.SHOULD_REFUSE, Kind.SHOULD_ANSWER}
    assert bs.keywords is not None and len(bs.keywords) == 5
    assert all(len(h) == 64 for h in bs.hashes().values())


def _errors(root: Path) -> list[str]:
    with pytest.raises(BankValidationError) as exc:
        load_bank_set(root)
    return [str(e) for e in exc.value.errors]


def test_wrong_encoding_is_named_with_the_fix(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "should-refuse" / "gbk.jsonl").write_bytes(
        json.dumps({"id": "g1", "risk": "A.1a", "lang": "zh", "prompt": "测试题目"}, ensure_ascii=False).encode("gbk"))
    errs = _errors(root)
    assert any("gbk.jsonl:1" in e and "not UTF-8" in e and "GB18030" in e for e in errs)


def test_missing_csv_column(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "should-answer" / "extra.csv").write_text("id,lang,aspect\nx1,zh,cn-history\n", encoding="utf-8")
    errs = _errors(root)
    assert any("extra.csv:1" in e and "missing column(s) prompt" in e for e in errs)


def test_csv_loads(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "should-answer" / "extra.csv").write_text("id,lang,aspect,prompt\nx1,zh,cn-history,长城有多长？\n", encoding="utf-8")
    assert len(load_bank_set(root).banks[Kind.SHOULD_ANSWER]) == 49


def test_unknown_risk_duplicate_id_and_bad_json_all_reported_together(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    lines = [
        json.dumps({"id": "n1", "risk": "B.7", "lang": "zh", "prompt": "x"}),
        json.dumps({"id": "sr-A.1a-zh-001", "risk": "A.1a", "lang": "zh", "prompt": "dup"}),
        "{not json",
    ]
    (root / "should-refuse" / "bad.jsonl").write_text("\n".join(lines), encoding="utf-8")
    errs = _errors(root)
    assert any("bad.jsonl:1" in e and "unknown risk code 'B.7'" in e for e in errs)
    assert any("duplicate id 'sr-A.1a-zh-001'" in e for e in errs)
    assert any("bad.jsonl:3" in e and "invalid JSON" in e for e in errs)


def test_item_in_the_wrong_kind_folder(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    (root / "should-refuse" / "k.jsonl").write_text(
        json.dumps({"id": "k1", "kind": "should-answer", "aspect": "cn-history", "lang": "zh", "prompt": "x"}), encoding="utf-8")
    assert any("sits in the should-refuse folder" in e for e in _errors(root))


def test_missing_folder(tmp_path: Path) -> None:
    assert any("does not exist" in e for e in _errors(tmp_path / "nope"))
