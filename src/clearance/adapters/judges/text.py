"""Text normalisation shared by the keyword matcher, the library's variant expansion and (later)
the provider-side guard: one function, so a variant that the library lists is the same string
the matcher sees.

Steps: NFKC (full-width letters and digits become half-width), lower case, traditional to
simplified (OpenCC t2s), and removal of whitespace and symbols, so "推 翻*政 權" matches
"推翻政权". Removing separators means an English term can match across word boundaries
("kill" inside "skill"); English terms therefore match on word boundaries of the *unstripped*
text unless they contain CJK (see KeywordMatcher).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import opencc

_SEPARATORS = re.compile(r"[\s\W_]+", re.UNICODE)


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def fold(text: str) -> str:
    """NFKC + lower + traditional->simplified, keeping separators."""
    return str(_t2s().convert(unicodedata.normalize("NFKC", text).lower()))


def squash(text: str) -> str:
    """``fold`` and then remove whitespace and symbols."""
    return _SEPARATORS.sub("", fold(text))
