"""Gettext catalogues for the signed-in workspace (issue 5), through Babel.

Message ids are the English text, so English needs no catalogue. The Chinese catalogue lives
as source ``.po`` files under ``clearance/locale/zh_CN/LC_MESSAGES/`` — one file per area, so
areas are translated and reviewed independently — and Babel compiles them in memory on first
use: nothing binary is committed and no build step runs before tests or serving. Refresh the
files with ``pybabel extract -F babel.cfg -o messages.pot .`` then ``pybabel update``
(docs/i18n.md); ``tests/web/test_catalogues.py`` fails when a marked string has no translation.

The public registry's templates name messages by key; i18n.py maps the keys to English ids
translated from ``registry.po``. Both negotiate the language the same way (i18n.negotiate)."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).resolve().parents[2] / "locale"
LOCALES = {"zh": "zh_CN"}


def N_(message: str) -> str:
    """Marks a string for extraction where it is defined; it is translated where it is shown."""
    return message


def po_files(lang: str = "zh") -> list[Path]:
    return sorted((LOCALE_DIR / LOCALES[lang] / "LC_MESSAGES").glob("*.po"))


@lru_cache(maxsize=4)
def translations(lang: str) -> gettext.NullTranslations:
    if lang not in LOCALES:
        return gettext.NullTranslations()
    merged: Translations | None = None
    for po in po_files(lang):
        with po.open("rb") as f:
            catalog = read_po(f, locale=LOCALES[lang])
        buf = BytesIO()
        write_mo(buf, catalog)  # fuzzy entries are left out, as msgfmt does
        buf.seek(0)
        t = Translations(buf)
        merged = t if merged is None else merged.merge(t)
    return merged or gettext.NullTranslations()


Rules = tuple[tuple[re.Pattern[str], str], ...]


def rephrase(rules: Rules, message: str, tr: Translator,
             value: Callable[[str], str] = lambda v: v) -> str | None:
    """The first rule whose pattern matches ``message``, its template translated with the
    pattern's named groups (each passed through ``value``); None when no rule matches. How the
    workspace shows English messages written elsewhere (pydantic's, the policy's)."""
    for pattern, template in rules:
        m = pattern.match(message)
        if m:
            return tr(template, **{k: value(v) for k, v in m.groupdict().items()})
    return None


class Translator:
    """``_("text")`` and ``_("%(n)d items", n=3)`` for one language, as templates and handlers use it."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self._t = translations(lang)

    def __call__(self, message: str, **values: Any) -> str:
        text = self._t.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, n: int, **values: Any) -> str:
        text = self._t.ngettext(singular, plural, n)
        return text % {"num": n, **values}

    def pick(self, bilingual: str) -> str:
        """One side of a domain label written as "中文 (english)" (the filing form's field and
        material labels, which the domain keeps in both languages)."""
        zh, sep, rest = bilingual.partition(" (")
        if not sep:
            return bilingual
        en = rest.removesuffix(")")
        return en[:1].upper() + en[1:] if self.lang == "en" else zh
