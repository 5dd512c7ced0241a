"""Reading banks and keyword libraries from files (JSONL, CSV, XLSX).

A bank folder holds one sub-folder per kind (generated-content/, should-refuse/,
should-answer/, keywords/), each with any number of .jsonl/.csv files. Loading is all or
nothing: every problem in every file is collected and reported with file, line, field and
fix, and no partial bank is returned.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from clearance.domain.banks import (
    Bank,
    BankError,
    BankItem,
    BankSet,
    BankValidationError,
    KeywordEntry,
    KeywordLibrary,
    Kind,
    parse_records,
)

KEYWORDS_DIR = "keywords"
SUFFIXES = (".jsonl", ".csv")


def starter_banks_dir() -> Path:
    """The starter banks (docs/banks.md). They live as plain files in the repository under
    banks/starter; a wheel carries them as clearance/data/banks."""
    packaged = Path(__file__).resolve().parent.parent / "data" / "banks"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "banks" / "starter"


def _decode(path: Path, errors: list[BankError]) -> str | None:
    raw = path.read_bytes()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("gb18030")
            hint = " (it looks like GBK/GB18030: re-save it as UTF-8)"
        except UnicodeDecodeError:
            pass
        errors.append(BankError(str(path), line, "(encoding)", f"file is not UTF-8{hint}"))
        return None


def _jsonl_records(path: Path, text: str, errors: list[BankError]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    for no, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(BankError(str(path), no, "(json)", f"invalid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object"))
            continue
        if not isinstance(obj, dict):
            errors.append(BankError(str(path), no, "(json)", "line is not a JSON object; write {\"id\": ..., ...}"))
            continue
        yield str(path), no, obj


def _csv_records(path: Path, text: str, errors: list[BankError], required: tuple[str, ...],
                 mapping: dict[str, str] | None = None) -> Iterator[tuple[str, int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in (reader.fieldnames or [])]
    mapping = mapping or {}
    present = {mapping.get(h, h) for h in header}
    missing = [c for c in required if c not in present]
    if missing:
        errors.append(BankError(str(path), 1, ",".join(missing),
                                f"missing column(s) {', '.join(missing)}; the header has: {', '.join(header) or '(nothing)'}"))
        return
    for no, row in enumerate(reader, start=2):
        rec = {mapping.get(k.strip(), k.strip()): v for k, v in row.items() if k is not None and v not in (None, "")}
        yield str(path), no, rec


def iter_file_records(path: Path, errors: list[BankError], required: tuple[str, ...]) -> Iterator[tuple[str, int, dict[str, Any]]]:
    text = _decode(path, errors)
    if text is None:
        return
    if path.suffix == ".jsonl":
        yield from _jsonl_records(path, text, errors)
    elif path.suffix == ".csv":
        yield from _csv_records(path, text, errors, required)
    else:
        errors.append(BankError(str(path), 0, "(file)", "unsupported file type; use .jsonl or .csv"))


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in SUFFIXES)


def load_bank(folder: Path, kind: Kind, name: str | None = None) -> Bank:
    errors: list[BankError] = []
    records = [r for f in _files(folder) for r in iter_file_records(f, errors, ("id", "prompt", "lang"))]
    for _f, _l, rec in records:
        rec.setdefault("kind", kind.value)
    items, perrs = parse_records(BankItem, records)
    errors.extend(perrs)
    for it in items:
        if it.kind is not kind:
            errors.append(BankError(str(folder), 0, "kind", f"item {it.id!r} has kind {it.kind.value} but sits in the {kind.value} folder"))
    if errors:
        raise BankValidationError(errors)
    return Bank.of(kind, items, name=name or f"{folder.parent.name}/{kind.value}")


def load_keywords(folder: Path, name: str | None = None) -> KeywordLibrary:
    errors: list[BankError] = []
    records = [r for f in _files(folder) for r in iter_file_records(f, errors, ("id", "risk", "term", "lang"))]
    entries, perrs = parse_records(KeywordEntry, records)
    errors.extend(perrs)
    if errors:
        raise BankValidationError(errors)
    return KeywordLibrary.of(entries, name=name or f"{folder.parent.name}/keywords")


def load_bank_set(root: Path) -> BankSet:
    if not root.is_dir():
        raise BankValidationError([BankError(str(root), 0, "(folder)", "bank folder does not exist; pass --banks DIR with generated-content/, should-refuse/, should-answer/, keywords/ inside")])
    banks: dict[Kind, Bank] = {}
    errors: list[BankError] = []
    for kind in Kind:
        sub = root / kind.value
        if sub.is_dir() and _files(sub):
            try:
                banks[kind] = load_bank(sub, kind, name=f"{root.name}/{kind.value}")
            except BankValidationError as exc:
                errors.extend(exc.errors)
    keywords = None
    kw = root / KEYWORDS_DIR
    if kw.is_dir() and _files(kw):
        try:
            keywords = load_keywords(kw, name=f"{root.name}/keywords")
        except BankValidationError as exc:
            errors.extend(exc.errors)
    if errors:
        raise BankValidationError(errors)
    if not banks:
        raise BankValidationError([BankError(str(root), 0, "(folder)", "no bank files found; expected sub-folders generated-content/, should-refuse/, should-answer/ with .jsonl or .csv files")])
    return BankSet(banks=banks, keywords=keywords)


def read_table(path: Path, errors: list[BankError]) -> list[tuple[str, int, dict[str, Any]]]:
    """Rows of a CSV, JSONL or XLSX file as raw records (first sheet, first row = header)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        errors.append(BankError(str(path), 0, "(file)", "file does not exist"))
        return []
    if suffix in (".csv", ".jsonl"):
        text = _decode(path, errors)
        if text is None:
            return []
        if suffix == ".jsonl":
            return list(_jsonl_records(path, text, errors))
        return list(_csv_records(path, text, errors, ()))
    if suffix == ".xlsx":
        from openpyxl import load_workbook

        try:
            wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises several types for a broken file
            errors.append(BankError(str(path), 0, "(file)", f"not a readable .xlsx workbook ({exc})"))
            return []
        rows = wb.worksheets[0].iter_rows(values_only=True)
        header = [str(h).strip() if h is not None else "" for h in next(rows, ())]
        out = []
        for no, row in enumerate(rows, start=2):
            rec = {h: (str(v).strip() if not isinstance(v, str) else v.strip())
                   for h, v in zip(header, row, strict=False) if h and v not in (None, "")}
            if rec:
                out.append((str(path), no, rec))
        wb.close()
        return out
    errors.append(BankError(str(path), 0, "(file)", "unsupported file type; use .csv, .jsonl or .xlsx"))
    return []


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    """Atomic: a crash leaves the old file or the new one, never half of one."""
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with tmp.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def write_json(path: Path, data: Any) -> None:
    import os

    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)
