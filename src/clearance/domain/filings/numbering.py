"""Issuing filing numbers (备案号) and launch numbers (上线编号).

Formats (../shared/regulation.md section 8): filing ``{Province}-{ModelName}-{YYYYMMDD}{NNNN}``,
e.g. ``Beijing-DeepseekChat-202404280016``; launch numbers carry ``YYYYMMDD`` + ``S`` + sequence.
No complete published launch number is known, so Clearance issues
``{Province}-{ModelName}-{YYYYMMDD}S{NNNN}``, which the registry's parser reads back.
The sequence counts numbers of one kind issued on one day, nationally: the published numbers
show no per-province pattern, and a national counter can never collide.

Romanisation (pinyin) is a library call; the caller passes it in so this module stays pure.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from clearance.domain.registry import numbers
from clearance.domain.registry.provinces import Province

Romanise = Callable[[str], list[str]]  # e.g. pypinyin.lazy_pinyin: "云雀" -> ["yun", "que"]

_HAN = re.compile(r"[\u3400-\u9fff]+")
_LATIN = re.compile(r"[A-Za-z0-9]+")


def model_code(name: str, romanise: Romanise) -> str:
    """The model part of a number: Chinese as capitalised pinyin syllables (云雀 -> YunQue),
    latin words with their first letter capitalised and the rest kept (MiniMax stays MiniMax),
    everything else dropped."""
    parts: list[str] = []
    for m in re.finditer(r"[\u3400-\u9fff]+|[A-Za-z0-9]+", name):
        token = m.group()
        if _HAN.fullmatch(token):
            parts.extend(s.capitalize() for s in romanise(token) if _LATIN.fullmatch(s))
        else:
            parts.append(token[0].upper() + token[1:])
    code = "".join(parts)
    if not code:
        raise numbers.NumberError(f"model name {name!r} has no letters, digits or Chinese characters to "
                                  "build a number from")
    return code[:60]


def filing_number(province: Province, model_name: str, issued_on: date, sequence: int,
                  romanise: Romanise) -> str:
    return numbers.format_filing_number(province, model_code(model_name, romanise), issued_on, sequence)


def launch_number(province: Province, model_name: str, issued_on: date, sequence: int,
                  romanise: Romanise) -> str:
    if not 0 < sequence <= 9999:
        raise numbers.NumberError(f"sequence {sequence} does not fit 4 digits")
    return f"{province.prefix}-{model_code(model_name, romanise)}-{issued_on:%Y%m%d}S{sequence:04d}"
