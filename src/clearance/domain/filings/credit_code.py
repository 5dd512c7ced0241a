"""Unified social credit code (统一社会信用代码, GB 32100-2015): 18 characters from a
31-character alphabet (digits and capital letters without I, O, Z, S, V); the last is a check
character computed from the first 17 with weights 3^i mod 31."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def validate(code: str) -> str | None:
    """None when valid, else what is wrong and how to fix it."""
    c = code.strip().upper()
    if len(c) != 18:
        return f"a unified social credit code has 18 characters (got {len(c)})"
    bad = sorted({ch for ch in c if ch not in _VALUE})
    if bad:
        return f"characters not allowed in a credit code: {' '.join(bad)} (I, O, Z, S, V are never used)"
    if not c[2:8].isdigit():
        return "characters 3-8 are the registration authority's administrative division code (digits)"
    expected = check_character(c[:17])
    if c[17] != expected:
        return f"check character is {c[17]} but should be {expected}: a character was probably mistyped"
    return None
