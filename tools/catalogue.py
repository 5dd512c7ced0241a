"""Write or refresh one area's Chinese catalogue from a dict of translations.

    python tools/catalogue.py AREA TRANSLATIONS.json

extracts the marked strings of the whole workspace (babel.cfg), keeps those the JSON file
translates, merges them into src/clearance/locale/zh_CN/LC_MESSAGES/AREA.po (existing entries
kept) and lists the strings no catalogue translates yet. Plain `pybabel extract`/`update` work
as well; this only saves hand-editing PO syntax for a batch of new strings."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LC = ROOT / "src/clearance/locale/zh_CN/LC_MESSAGES"


def marked() -> set[str]:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: set[str] = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(ROOT, method_map, options_map,
                                                                   keywords={"_": None, "N_": None, "gettext": None}):
        if isinstance(message, str) and message:
            found.add(message)
    return found


def translated() -> set[str]:
    out: set[str] = set()
    for po in LC.glob("*.po"):
        with po.open("rb") as f:
            out |= {str(m.id) for m in read_po(f) if m.id and m.string}
    return out


def main(area: str, translations_file: str) -> None:
    new: dict[str, str] = json.loads(Path(translations_file).read_text(encoding="utf-8"))
    path = LC / f"{area}.po"
    if path.exists():
        with path.open("rb") as f:
            catalog = read_po(f, locale="zh_CN")
    else:
        catalog = Catalog(locale="zh_CN", project="clearance", charset="utf-8")
    wanted = marked()
    for msgid, msgstr in new.items():
        if msgid not in wanted:
            print(f"not marked anywhere (skipped): {msgid!r}", file=sys.stderr)
            continue
        catalog.add(msgid, msgstr)
    LC.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as f:
        write_po(f, catalog, width=100, sort_output=True, omit_header=False)
    for msgid in sorted(wanted - translated()):
        print(f"untranslated: {msgid!r}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
