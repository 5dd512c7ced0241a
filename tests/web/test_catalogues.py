"""The Chinese catalogue keeps up with the code: every string marked for translation in the
workspace (babel.cfg) has a translation, and no catalogue keeps strings nothing uses."""

from __future__ import annotations

import sys
from pathlib import Path

from babel.messages.pofile import read_po

from clearance.interfaces.web import catalogues

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import catalogue  # noqa: E402


def _entries() -> dict[str, tuple[str, str]]:
    out: dict[str, tuple[str, str]] = {}
    for po in catalogues.po_files("zh"):
        with po.open("rb") as f:
            for m in read_po(f):
                if m.id:
                    out[str(m.id)] = (str(m.string), po.name)
    return out


def test_every_marked_string_has_a_chinese_translation() -> None:
    entries = _entries()
    missing = sorted(m for m in catalogue.marked() if not entries.get(m, ("", ""))[0])
    assert not missing, "untranslated (add them with tools/catalogue.py AREA FILE.json):\n" + "\n".join(missing)


def test_catalogues_hold_no_obsolete_strings() -> None:
    marked = catalogue.marked()
    stale = sorted(f"{where}: {m}" for m, (_s, where) in _entries().items() if m not in marked)
    assert not stale, "no longer used anywhere:\n" + "\n".join(stale)


def test_placeholders_survive_translation() -> None:
    import re

    pattern = re.compile(r"%\(\w+\)[sd]")
    for msgid, (msgstr, where) in _entries().items():
        assert sorted(pattern.findall(msgid)) == sorted(pattern.findall(msgstr)), f"{where}: {msgid}"


def test_english_needs_no_catalogue_and_chinese_is_compiled_from_the_po_files() -> None:
    assert catalogues.Translator("en")("Draft") == "Draft"
    assert catalogues.Translator("zh")("Draft") == "草稿"


def test_a_string_in_two_areas_is_translated_the_same_way() -> None:
    # the catalogues are merged into one; a string translated two ways would show whichever
    # file happened to be merged last
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for po in catalogues.po_files("zh"):
        with po.open("rb") as f:
            for m in read_po(f):
                if not m.id:
                    continue
                first = seen.setdefault(str(m.id), (str(m.string), po.name))
                if first[0] != str(m.string):
                    clashes.append(f"{m.id!r}: {first[1]} {first[0]!r} vs {po.name} {m.string!r}")
    assert not clashes, "\n".join(clashes)
