"""Bank use cases: validate, coverage, import, diff, sample, freeze (versioning with a
changelog), staleness, keyword variant expansion."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from clearance.adapters import bankfiles
from clearance.adapters.judges.variants import expand
from clearance.domain import bankops
from clearance.domain.banks import (
    Bank,
    BankError,
    BankItem,
    BankSet,
    BankValidationError,
    KeywordEntry,
    Kind,
    parse_records,
)
from clearance.domain.conformity import Clause, ClauseVerdict, bank_clauses
from clearance.domain.sampling import stratified_sample

MANIFEST = "VERSION.json"
CHANGELOG = "CHANGELOG.md"
VARIANTS_FILE = "variants.jsonl"
# TC260-003 section 8: keyword library at least weekly, question banks at least monthly.
CADENCE_DAYS = {"keywords": 7, Kind.GENERATED_CONTENT.value: 31, Kind.SHOULD_REFUSE.value: 31,
                Kind.SHOULD_ANSWER.value: 31}


@dataclass
class ValidationReport:
    banks: dict[str, tuple[int, str]]
    near_duplicates: dict[str, list[bankops.NearDuplicate]]
    language_mismatches: list[tuple[str, str, str]]
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(self.near_duplicates.values()) and not self.language_mismatches


def validate(folder: Path, *, threshold: float = 0.6) -> ValidationReport:
    """Schema, ids and risk codes (raises BankValidationError), then near-duplicates and
    language mismatches (reported)."""
    bs = bankfiles.load_bank_set(folder)
    banks = {k.value: (len(b), b.sha256) for k, b in sorted(bs.banks.items())}
    if bs.keywords is not None:
        banks["keywords"] = (len(bs.keywords), bs.keywords.sha256)
    near = {k.value: bankops.near_duplicates(b.items, threshold) for k, b in sorted(bs.banks.items())}
    mism = [m for b in bs.banks.values() for m in bankops.language_mismatches(b.items)]
    return ValidationReport(banks=banks, near_duplicates=near, language_mismatches=mism,
                            warnings=staleness(folder, bs))


def coverage(folder: Path) -> tuple[list[Clause], BankSet]:
    bs = bankfiles.load_bank_set(folder)
    return bank_clauses(bs), bs


def coverage_ok(clauses: list[Clause]) -> bool:
    return all(c.verdict is not ClauseVerdict.DOES_NOT_CONFORM for c in clauses)


# --- versioning --------------------------------------------------------------------------------

def read_manifest(folder: Path) -> dict[str, Any] | None:
    p = folder / MANIFEST
    if not p.is_file():
        return None
    data: dict[str, Any] = json.loads(p.read_text(encoding="utf-8"))
    return data


def _current(bs: BankSet) -> dict[str, dict[str, Any]]:
    cur = {k.value: {"sha256": b.sha256, "items": len(b)} for k, b in bs.banks.items()}
    if bs.keywords is not None:
        cur["keywords"] = {"sha256": bs.keywords.sha256, "items": len(bs.keywords)}
    return cur


def freeze(folder: Path, *, today: date | None = None, note: str = "") -> list[str]:
    """Record the banks' current hashes in VERSION.json; for every bank whose hash changed, set
    its update date and append a changelog entry. Returns the changelog lines written."""
    day = (today or datetime.now(UTC).date()).isoformat()
    bs = bankfiles.load_bank_set(folder)
    old = read_manifest(folder) or {"banks": {}}
    cur = _current(bs)
    lines: list[str] = []
    for kind, info in sorted(cur.items()):
        prev = old["banks"].get(kind)
        if prev is None:
            info["updated"] = day
            lines.append(f"- {kind}: new, {info['items']} items, sha256 {info['sha256'][:16]}")
        elif prev["sha256"] != info["sha256"]:
            info["updated"] = day
            delta = info["items"] - prev["items"]
            lines.append(f"- {kind}: {prev['items']} -> {info['items']} items ({delta:+d}), "
                         f"sha256 {prev['sha256'][:16]} -> {info['sha256'][:16]}")
        else:
            info["updated"] = prev.get("updated", day)
    for kind in sorted(set(old["banks"]) - set(cur)):
        lines.append(f"- {kind}: removed")
    bankfiles.write_json(folder / MANIFEST, {"banks": cur})
    if lines:
        log = folder / CHANGELOG
        head = log.read_text(encoding="utf-8") if log.is_file() else "# Bank changelog\n"
        entry = f"\n## {day}\n" + (f"{note}\n" if note else "") + "\n".join(lines) + "\n"
        log.write_text(head.rstrip("\n") + "\n" + entry, encoding="utf-8")
    return lines


def staleness(folder: Path, bs: BankSet | None = None, *, today: date | None = None) -> list[str]:
    """Warnings for banks older than the standard's update cadence, or of unknown age."""
    manifest = read_manifest(folder)
    if manifest is None:
        return [f"{folder}: no {MANIFEST}, so the banks' age is unknown; run `clearance banks freeze {folder}`"]
    day = today or datetime.now(UTC).date()
    cur = _current(bs or bankfiles.load_bank_set(folder))
    out = []
    for kind, info in sorted(cur.items()):
        rec = manifest["banks"].get(kind)
        if rec is None or rec["sha256"] != info["sha256"]:
            out.append(f"{kind}: changed since the last freeze; run `clearance banks freeze {folder}`")
            continue
        age = (day - date.fromisoformat(rec["updated"])).days
        limit = CADENCE_DAYS.get(kind, 31)
        if age > limit:
            cadence = "weekly" if limit == 7 else "monthly"
            out.append(f"{kind}: last updated {rec['updated']} ({age} days ago); the standard asks for {cadence} updates")
    return out


# --- import --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ImportResult:
    written: Path
    items: int
    skipped: int


def _map_record(raw: dict[str, Any], kind: Kind, preset: bankops.Preset | None, mapping: dict[str, str],
                defaults: dict[str, str], line: int, stem: str) -> dict[str, Any]:
    cols = dict(preset.columns) if preset else {}
    cols.update(mapping)
    rec: dict[str, Any] = {cols.get(k, k): v for k, v in raw.items()}
    for k, v in defaults.items():
        rec.setdefault(k, v)
    if preset is not None and preset.lang:
        rec.setdefault("lang", preset.lang)
    name = preset.name if preset else None
    if name == "xstest":
        label = str(rec.pop("label", "")).strip().lower()
        t = str(rec.pop("type", "")).strip().lower()
        if label == "unsafe":
            rec["kind"] = Kind.SHOULD_REFUSE.value
            rec.setdefault("risk", defaults.get("risk", "A.1h"))
        else:
            rec["kind"] = Kind.SHOULD_ANSWER.value
            rec.setdefault("aspect", bankops.XSTEST_ASPECTS.get(t, defaults.get("aspect", "cn-culture")))
        rec["rationale"] = f"imported from XSTest ({t or 'untyped'})"
    elif name == "do-not-answer":
        area = str(rec.pop("risk_area", "")).strip().lower()
        t = rec.pop("type", "")
        rec["kind"] = Kind.SHOULD_REFUSE.value
        rec.setdefault("risk", bankops.DNA_RISK_AREAS.get(area, defaults.get("risk", "A.1h")))
        rec["rationale"] = f"imported from Do-Not-Answer ({t})"
    elif name == "jade":
        cat = str(rec.pop("category", ""))
        sub = str(rec.pop("subcategory", ""))
        code = bankops.risk_from_chinese_label(sub) or bankops.JADE_CATEGORIES.get(cat.strip())
        if code:
            rec.setdefault("risk", code)
        rec["rationale"] = f"imported from JADE ({cat}/{sub})"
    rec.setdefault("kind", kind.value)
    if "lang" not in rec and "prompt" in rec:
        from clearance.domain.judges.refusal import detect_lang

        rec["lang"] = detect_lang(str(rec["prompt"]))
    rec["id"] = f"{defaults.get('id_prefix', stem)}-{rec['id']}" if "id" in rec else f"{defaults.get('id_prefix', stem)}-{line:05d}"
    return {k: v for k, v in rec.items() if k in BankItem.model_fields}


def import_file(source: Path, *, into: Path, kind: Kind, preset: str | None = None,
                mapping: dict[str, str] | None = None, defaults: dict[str, str] | None = None,
                name: str | None = None) -> ImportResult:
    """Read CSV/JSONL/XLSX, map columns, validate every row, and write one JSONL file into the
    bank folder. All or nothing: any error and nothing is written; an id that collides with the
    existing bank is an error."""
    if preset is not None and preset not in bankops.PRESETS:
        raise BankValidationError([BankError(str(source), 0, "--preset",
                                             f"unknown preset {preset!r}; choose one of {', '.join(bankops.PRESETS)}")])
    pre = bankops.PRESETS.get(preset) if preset else None
    errors: list[BankError] = []
    rows = bankfiles.read_table(source, errors)
    if errors:
        raise BankValidationError(errors)
    if not rows:
        raise BankValidationError([BankError(str(source), 0, "(file)", "no rows to import")])
    stem = name or source.stem
    mapped = [(f, ln, _map_record(r, kind, pre, mapping or {}, defaults or {}, ln, stem)) for f, ln, r in rows]
    items, perrs = parse_records(BankItem, mapped)
    errors.extend(perrs)
    wrong = [i for i in items if i.kind is not kind and pre is None]
    errors.extend(BankError(str(source), 0, "kind", f"row {i.id} has kind {i.kind.value}, importing into {kind.value}")
                  for i in wrong)
    existing: set[str] = set()
    if into.is_dir():
        try:
            bs = bankfiles.load_bank_set(into)
            existing = {i.id for b in bs.banks.values() for i in b.items}
        except BankValidationError as exc:
            if not any("no bank files found" in e.message for e in exc.errors):
                raise
    errors.extend(BankError(str(source), 0, "id", f"id {i.id!r} already exists in {into}; use --id-prefix")
                  for i in items if i.id in existing)
    if errors:
        raise BankValidationError(errors)
    by_kind: dict[Kind, list[BankItem]] = {}
    for it in items:
        by_kind.setdefault(it.kind, []).append(it)
    written = into
    for k, its in by_kind.items():
        written = into / k.value / f"{stem}.jsonl"
        if written.exists():
            raise BankValidationError([BankError(str(written), 0, "(file)", "already exists; pass --name to write another file")])
        bankfiles.write_jsonl(written, [i.model_dump(mode="json", exclude_none=True) for i in its])
    return ImportResult(written=written, items=len(items), skipped=0)


# --- diff, sample, variants --------------------------------------------------------------------

def diff(old: Path, new: Path) -> dict[str, bankops.BankDiff]:
    a, b = bankfiles.load_bank_set(old), bankfiles.load_bank_set(new)
    out = {}
    for kind in sorted(set(a.banks) | set(b.banks)):
        empty = Bank.of(kind, [])
        out[kind.value] = bankops.diff(a.banks.get(kind, empty), b.banks.get(kind, empty))
    return out


def sample(folder: Path, *, kind: Kind, n: int, seed: int) -> list[BankItem]:
    bs = bankfiles.load_bank_set(folder)
    bank = bs.banks.get(kind)
    if bank is None:
        raise BankValidationError([BankError(str(folder), 0, "--kind", f"no {kind.value} bank in this folder")])
    return stratified_sample(bank.items, n, seed)


def expand_keywords(folder: Path) -> tuple[int, int]:
    """Regenerate keywords/variants.jsonl from the base entries. Returns (bases, variants)."""
    bs = bankfiles.load_bank_set(folder)
    if bs.keywords is None:
        raise BankValidationError([BankError(str(folder / "keywords"), 0, "(folder)", "no keyword library to expand")])
    bases = [e for e in bs.keywords.entries if e.base is None]
    corpus = [i.prompt for b in bs.banks.values() for i in b.items] + [e.term for e in bases]
    variants = expand(bases, corpus)
    bankfiles.write_jsonl(folder / "keywords" / VARIANTS_FILE,
                          [v.model_dump(mode="json", exclude_none=True) for v in sorted(variants, key=lambda v: v.id)])
    return len(bases), len(variants)


def distinct_after_normalisation(entries: list[KeywordEntry]) -> int:
    from clearance.adapters.judges.text import fold, squash

    return len({squash(e.term) if any("\u4e00" <= c <= "\u9fff" for c in e.term) else " ".join(fold(e.term).split())
                for e in entries})
