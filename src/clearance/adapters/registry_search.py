"""The search text stored with each registry entry: names, number, English names, and the
pinyin of the Chinese names in full and as initials, all normalised the way queries are."""

from __future__ import annotations

from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin

from clearance.domain.registry.entries import Entry
from clearance.domain.registry.query import normalise_search


def _pinyin(text: str) -> tuple[str, str]:
    full = lazy_pinyin(text, errors="default")
    initials = lazy_pinyin(text, style=Style.FIRST_LETTER, errors="default")
    return "".join(full), "".join(initials)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def simplified(text: str) -> str:
    return str(_t2s().convert(text))


def needle(query: str) -> str:
    """A query as stored text is compared: traditional characters folded to simplified (智譜 finds
    智谱), then normalised like the stored text."""
    return normalise_search(simplified(query))


def search_text(entry: Entry) -> str:
    parts: list[str] = []
    for name in (entry.model_name, entry.entity_zh):
        if name:
            name = simplified(name)   # a name published in traditional characters is found either way
            full, initials = _pinyin(name)
            parts += [name, full, initials]
    parts += [x for x in (entry.entity_en, entry.number) if x]
    if p := entry.province_info:
        parts += [p.short, p.en, p.prefix]
    # "\x1f" separates fields so a query cannot match across the end of one and the start of the next
    return "\x1f".join(normalise_search(x) for x in parts)
