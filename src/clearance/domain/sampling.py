"""Seeded sampling stratified by risk code (or aspect).

Allocation is proportional to stratum size with the largest-remainder method, and every
stratum gets at least one item while the sample allows it, so small risk codes are never
silently absent from a report. The same bank, size and seed always give the same sample.
"""

from __future__ import annotations

import hashlib
import random
from collections import defaultdict
from collections.abc import Sequence

from clearance.domain.banks import BankItem


def _rng(seed: int, salt: str) -> random.Random:
    digest = hashlib.sha256(f"{seed}:{salt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    total = sum(sizes.values())
    if n >= total:
        return dict(sizes)
    strata = sorted(sizes)
    alloc = dict.fromkeys(strata, 0)
    remaining = n
    # one per stratum first (while n allows), so every risk code is represented
    for s in sorted(strata, key=lambda s: (-sizes[s], s)):
        if remaining == 0:
            break
        if sizes[s] > 0:
            alloc[s] = 1
            remaining -= 1
    if remaining:
        rest = {s: sizes[s] - alloc[s] for s in strata}
        rest_total = sum(rest.values())
        quotas = {s: remaining * rest[s] / rest_total for s in strata}
        floors = {s: int(q) for s, q in quotas.items()}
        for s in strata:
            alloc[s] += floors[s]
        leftover = remaining - sum(floors.values())
        order = sorted(strata, key=lambda s: (-(quotas[s] - floors[s]), s))
        for s in order:
            if leftover == 0:
                break
            if alloc[s] < sizes[s]:
                alloc[s] += 1
                leftover -= 1
    return alloc


def stratified_sample(items: Sequence[BankItem], n: int, seed: int) -> list[BankItem]:
    by_stratum: dict[str, list[BankItem]] = defaultdict(list)
    for it in sorted(items, key=lambda i: i.id):
        by_stratum[it.stratum].append(it)
    alloc = allocate({s: len(v) for s, v in by_stratum.items()}, n)
    chosen: list[BankItem] = []
    for stratum in sorted(by_stratum):
        pool = by_stratum[stratum]
        k = alloc.get(stratum, 0)
        chosen.extend(_rng(seed, stratum).sample(pool, k) if k < len(pool) else pool)
    return sorted(chosen, key=lambda i: i.id)
