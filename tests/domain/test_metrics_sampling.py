from __future__ import annotations

import pytest

from clearance.domain.banks import BankItem
from clearance.domain.metrics import cohen_kappa, wilson
from clearance.domain.sampling import allocate, stratified_sample


def test_wilson_matches_reference_values() -> None:
    # reference: statsmodels proportion_confint(95, 100, method="wilson")
    r = wilson(95, 100)
    assert r.low == pytest.approx(0.88825, abs=1e-4)
    assert r.high == pytest.approx(0.97846, abs=1e-4)
    assert wilson(0, 10).low == 0.0 and wilson(10, 10).high == 1.0
    assert wilson(0, 0).total == 0


def test_wilson_rejects_impossible_counts() -> None:
    with pytest.raises(ValueError):
        wilson(5, 3)


def test_kappa() -> None:
    assert cohen_kappa([("a", "a"), ("b", "b")]) == 1.0
    assert cohen_kappa([("a", "b"), ("b", "a")]) == pytest.approx(-1.0)
    assert cohen_kappa([]) is None


def test_allocation_is_proportional_and_covers_every_stratum() -> None:
    alloc = allocate({"A.1a": 100, "A.1b": 50, "A.5b": 2}, 30)
    assert sum(alloc.values()) == 30
    assert alloc["A.5b"] >= 1 and alloc["A.1a"] > alloc["A.1b"]
    assert allocate({"x": 3, "y": 2}, 10) == {"x": 3, "y": 2}


def _items(n: int) -> list[BankItem]:
    return [BankItem(id=f"i{k:03d}", kind="should-refuse", lang="zh", prompt=f"p{k}", risk=("A.1a" if k % 3 else "A.2b"))
            for k in range(n)]


def test_sample_is_seeded_and_stratified() -> None:
    items = _items(90)
    s1 = stratified_sample(items, 30, seed=1)
    assert s1 == stratified_sample(list(reversed(items)), 30, seed=1)
    assert s1 != stratified_sample(items, 30, seed=2)
    assert sum(1 for i in s1 if i.risk == "A.2b") == 10
    assert len({i.id for i in s1}) == 30
