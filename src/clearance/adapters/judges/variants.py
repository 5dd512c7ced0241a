"""Keyword-library variant expansion: the spellings people use to evade a keyword list.

For each base entry: traditional characters (OpenCC s2t), full pinyin, pinyin initials,
a homophone substitution, symbol insertion, spacing, and full-width letters for Latin terms.
Every variant links to its base (``base``) and names its kind (``variant``).

Some variants (traditional, symbols, spaces, full width) are undone by the matcher's own
normalisation (``text.squash``), so they add no matching power; they are listed because they
are what appears in real text and what reviewers expect to see in the library. Pinyin,
initials and homophones are not normalised away and do add matching power. ``docs/banks.md``
reports both counts.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

import opencc
from pypinyin import Style, lazy_pinyin, pinyin

from clearance.domain.banks import KeywordEntry

_CJK = re.compile(r"[\u4e00-\u9fff]")
_SYMBOLS = ("*", "·", "-", "_", ".")
# Initials of very short terms ("tf") would fire everywhere; full pinyin of one syllable too.
MIN_CHARS_FOR_INITIALS = 4
MIN_CHARS_FOR_PINYIN = 2


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def _pick(seed: str, n: int) -> int:
    return int.from_bytes(hashlib.sha256(seed.encode()).digest()[:4], "big") % n


class HomophoneTable:
    """Characters with the same toneless pinyin, ranked by frequency in a reference corpus
    (the banks' own text), so substitutes are common characters, not rare ones."""

    def __init__(self, corpus: Iterable[str]) -> None:
        freq: Counter[str] = Counter(c for text in corpus for c in text if _CJK.match(c))
        by_sound: dict[str, list[str]] = {}
        for ch, _n in freq.most_common():
            sounds = pinyin(ch, style=Style.NORMAL, heteronym=False)
            if sounds and sounds[0]:
                by_sound.setdefault(sounds[0][0], []).append(ch)
        self._by_sound = by_sound

    def substitute(self, term: str) -> str | None:
        positions = [i for i, c in enumerate(term) if _CJK.match(c)]
        if not positions:
            return None
        start = _pick(term, len(positions))
        for k in range(len(positions)):
            i = positions[(start + k) % len(positions)]
            sound = lazy_pinyin(term[i])[0]
            for cand in self._by_sound.get(sound, []):
                if cand != term[i]:
                    return term[:i] + cand + term[i + 1 :]
        return None


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else ("\u3000" if c == " " else c) for c in text)


def variants_of(entry: KeywordEntry, homophones: HomophoneTable) -> list[tuple[str, str]]:
    """(variant kind, term) pairs for one base entry; no duplicates, never the base itself."""
    term = entry.term
    out: list[tuple[str, str]] = []
    if _CJK.search(term):
        chars = len(_CJK.findall(term))
        trad = str(_s2t().convert(term))
        if trad != term:
            out.append(("traditional", trad))
        if chars >= MIN_CHARS_FOR_PINYIN:
            out.append(("pinyin", "".join(lazy_pinyin(term, errors="ignore"))))
        if chars >= MIN_CHARS_FOR_INITIALS:
            out.append(("initials", "".join(p[0] for p in lazy_pinyin(term, errors="ignore") if p)))
        homo = homophones.substitute(term)
        if homo:
            out.append(("homophone", homo))
        sym = _SYMBOLS[_pick(term + "sym", len(_SYMBOLS))]
        out.append(("symbols", sym.join(term)))
        if len(term) >= 3:
            out.append(("spaces", " ".join(term)))
    else:
        out.append(("fullwidth", _fullwidth(term)))
    seen = {term}
    unique = []
    for kind, t in out:
        if t and t not in seen:
            seen.add(t)
            unique.append((kind, t))
    return unique


def expand(bases: Iterable[KeywordEntry], corpus: Iterable[str]) -> list[KeywordEntry]:
    table = HomophoneTable(corpus)
    out: list[KeywordEntry] = []
    for e in bases:
        if e.base is not None:
            continue
        for n, (kind, t) in enumerate(variants_of(e, table), start=1):
            out.append(KeywordEntry(id=f"{e.id}-v{n}", risk=e.risk, lang=e.lang, term=t, match=e.match,
                                    base=e.id, variant=kind))
    return out
