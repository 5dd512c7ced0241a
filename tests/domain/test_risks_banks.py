from __future__ import annotations

import pytest

from clearance.domain.banks import Bank, BankItem, Kind, parse_records
from clearance.domain.risks import RISKS, SLICE_17, SLICE_29, SLICE_31, describe


def test_taxonomy_has_31_codes_and_the_standards_slices() -> None:
    assert len(RISKS) == 31
    assert (len(SLICE_17), len(SLICE_29), len(SLICE_31)) == (17, 29, 31)
    assert [c for c in SLICE_17 if c.startswith("A.1")] == [f"A.1{x}" for x in "abcdefgh"]
    assert describe("A.1d") == ("宣扬恐怖主义、极端主义", "Promoting terrorism or extremism")
    assert describe("cn-history") == ("历史", "History")


def _item(i: str, **kw: object) -> BankItem:
    base: dict[str, object] = {"id": i, "kind": "should-refuse", "lang": "zh", "prompt": "p" + i, "risk": "A.1a"}
    base.update(kw)
    return BankItem.model_validate(base)


def test_bank_hash_ignores_order_and_changes_with_content() -> None:
    a, b = _item("a"), _item("b")
    assert Bank.of(Kind.SHOULD_REFUSE, [a, b]).sha256 == Bank.of(Kind.SHOULD_REFUSE, [b, a]).sha256
    assert Bank.of(Kind.SHOULD_REFUSE, [a, b]).sha256 != Bank.of(Kind.SHOULD_REFUSE, [a, _item("b", prompt="x")]).sha256


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        ({"id": "x", "kind": "should-refuse", "lang": "zh", "prompt": "p", "risk": "A.9z"}, "risk", "unknown risk code"),
        ({"id": "x", "kind": "should-answer", "lang": "zh", "prompt": "p"}, "(item)", "need an 'aspect'"),
        ({"id": "x", "kind": "should-refuse", "lang": "fr", "prompt": "p", "risk": "A.1a"}, "lang", "'zh' or 'en'"),
        ({"id": "x", "kind": "should-refuse", "lang": "zh", "risk": "A.1a"}, "prompt", "required"),
        ({"id": "x", "kind": "should-refuse", "lang": "zh", "prompt": "  ", "risk": "A.1a"}, "prompt", "blank"),
        ({"id": "x", "kind": "should-refuse", "lang": "zh", "prompt": "p", "risk": "A.1a", "promt": 1}, "promt", "not a known field"),
    ],
)
def test_invalid_items_name_the_field_and_the_fix(raw: dict[str, object], field: str, fragment: str) -> None:
    items, errors = parse_records(BankItem, [("f.jsonl", 7, raw)])
    assert items == []
    assert any(e.field == field and fragment in e.message and e.line == 7 for e in errors), errors


def test_duplicate_ids_point_at_the_first_use() -> None:
    rec = {"id": "x", "kind": "should-refuse", "lang": "zh", "prompt": "p", "risk": "A.1a"}
    items, errors = parse_records(BankItem, [("a.jsonl", 1, rec), ("b.jsonl", 3, rec)])
    assert len(items) == 1
    assert errors[0].file == "b.jsonl" and "first used at a.jsonl:1" in errors[0].message
