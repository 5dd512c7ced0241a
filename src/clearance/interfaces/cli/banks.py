"""`clearance banks ...`: check, describe, import, diff, sample and version test banks."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from clearance.interfaces.cli.common import (
    console,
    emit_json,
    emit_rows,
    err_console,
    fail,
    fail_listing,
)

app = typer.Typer(help="Check, import, version and describe test banks and keyword libraries.", no_args_is_help=True)
T = TypeVar("T")

FolderArg = Annotated[Path | None, typer.Argument(help="Bank folder (default: the configured or starter banks)")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _folder(folder: Path | None) -> Path:
    from clearance.adapters.bankfiles import starter_banks_dir
    from clearance.settings import get_settings

    return folder or get_settings().banks_dir or starter_banks_dir()


def _guard(fn: Callable[[], T]) -> T:
    """Bank errors become a listed, named failure (exit 1), never a traceback."""
    from clearance.domain.banks import BankValidationError

    try:
        return fn()
    except BankValidationError as exc:
        fail_listing(exc.errors, f"{len(exc.errors)} problem(s); nothing was changed")


def _warn(lines: list[str]) -> None:
    for w in lines:
        err_console.print(f"[yellow]warning:[/] {w}")


@app.command("validate")
def validate(folder: FolderArg = None, threshold: Annotated[float, typer.Option(help="Near-duplicate Jaccard threshold")] = 0.6,
             as_json: JsonOpt = False) -> None:
    """Schema, ids, risk codes; then near-duplicates, language mismatches and staleness."""
    from clearance.services import banks as svc

    rep = _guard(lambda: svc.validate(_folder(folder), threshold=threshold))
    if as_json:
        emit_json({"ok": rep.ok, "banks": {k: {"items": n, "sha256": h} for k, (n, h) in rep.banks.items()},
                   "near_duplicates": {k: [{"a": d.a, "b": d.b, "similarity": d.similarity} for d in v]
                                       for k, v in rep.near_duplicates.items()},
                   "language_mismatches": rep.language_mismatches, "warnings": rep.warnings})
    else:
        for k, (n, h) in rep.banks.items():
            console.print(f"[green]ok[/] {k:<18} {n:>6} items  sha256 {h[:16]}…")
        for k, pairs in rep.near_duplicates.items():
            for d in pairs[:20]:
                console.print(f"[yellow]near-duplicate[/] {k}: {d.a} ~ {d.b} ({d.similarity:.2f})")
        for i, declared, detected in rep.language_mismatches[:20]:
            console.print(f"[yellow]language[/] {i}: declared {declared}, text looks {detected}")
        _warn(rep.warnings)
    if not rep.ok:
        raise typer.Exit(1)


@app.command("stats")
def stats(folder: FolderArg = None, as_json: JsonOpt = False) -> None:
    """Counts per risk code or aspect and language."""
    from collections import Counter

    from clearance.adapters.bankfiles import load_bank_set

    bs = _guard(lambda: load_bank_set(_folder(folder)))
    per: dict[str, dict[str, int]] = {k.value: dict(sorted(Counter(f"{i.stratum}/{i.lang}" for i in b.items).items()))
                                      for k, b in bs.banks.items()}
    if bs.keywords is not None:
        per["keywords"] = dict(sorted(Counter(f"{e.risk}/{'base' if e.base is None else 'variant'}"
                                              for e in bs.keywords.entries).items()))
    if as_json:
        emit_json({"counts": per, "hashes": bs.hashes()})
        return
    for bank, counts in per.items():
        console.print(f"[bold]{bank}[/] ({sum(counts.values())}): " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@app.command("coverage")
def coverage(folder: FolderArg = None, as_json: JsonOpt = False) -> None:
    """Every floor of the standard as 符合 / 不符合; exit 1 when one is not met."""
    from rich.table import Table

    from clearance.services import banks as svc

    f = _folder(folder)
    clauses, bs = _guard(lambda: svc.coverage(f))
    warnings = svc.staleness(f, bs)
    if as_json:
        emit_json({"ok": svc.coverage_ok(clauses), "clauses": [c.model_dump(mode="json") for c in clauses],
                   "warnings": warnings})
    else:
        t = Table(title=f"Bank conformity with TC260-003 section 8 · {f}")
        for col in ("clause", "requirement", "required", "actual", "verdict", "detail"):
            t.add_column(col)
        for c in clauses:
            colour = {"符合": "green", "不符合": "red"}.get(c.verdict, "dim")
            t.add_row(c.clause, f"{c.title_zh}\n{c.title_en}", str(c.required), str(c.actual),
                      f"[{colour}]{c.verdict}[/]", c.detail)
        console.print(t)
        _warn(warnings)
    if not svc.coverage_ok(clauses):
        raise typer.Exit(1)


def _pairs(values: list[str] | None, what: str) -> dict[str, str]:
    out = {}
    for v in values or []:
        k, sep, val = v.partition("=")
        if not sep or not k:
            fail(f"{what} {v!r}: write SOURCE=FIELD")
        out[k] = val
    return out


@app.command("import")
def import_(
    source: Annotated[Path, typer.Argument(help="CSV, JSONL or XLSX file")],
    into: Annotated[Path, typer.Option(help="Bank folder to add the file to")],
    kind: Annotated[str, typer.Option(help="generated-content, should-refuse or should-answer")] = "generated-content",
    preset: Annotated[str | None, typer.Option(help="xstest, do-not-answer or jade")] = None,
    map_: Annotated[list[str] | None, typer.Option("--map", help="Column mapping SOURCE=FIELD (repeatable)")] = None,
    default: Annotated[list[str] | None, typer.Option(help="Default field value FIELD=VALUE, e.g. risk=A.1h (repeatable)")] = None,
    id_prefix: Annotated[str | None, typer.Option(help="Prefix for imported ids")] = None,
    name: Annotated[str | None, typer.Option(help="Output file name (default: the source's name)")] = None,
) -> None:
    """Import a file into a bank folder: all rows valid, or nothing written."""
    from clearance.domain.banks import Kind
    from clearance.services import banks as svc

    try:
        k = Kind(kind)
    except ValueError:
        fail(f"--kind {kind!r}: choose generated-content, should-refuse or should-answer")
    defaults = _pairs(default, "--default")
    if id_prefix:
        defaults["id_prefix"] = id_prefix
    res = _guard(lambda: svc.import_file(source, into=into, kind=k, preset=preset, mapping=_pairs(map_, "--map"),
                                         defaults=defaults, name=name))
    console.print(f"imported {res.items} items into {res.written}")


@app.command("diff")
def diff(old: Annotated[Path, typer.Argument()], new: Annotated[Path, typer.Argument()], as_json: JsonOpt = False) -> None:
    """Items added, removed and changed between two bank folders."""
    from clearance.services import banks as svc

    d = _guard(lambda: svc.diff(old, new))
    if as_json:
        emit_json({k: {"added": v.added, "removed": v.removed, "changed": v.changed,
                       "old_sha256": v.old_sha256, "new_sha256": v.new_sha256} for k, v in d.items()})
        return
    for k, v in d.items():
        state = "unchanged" if v.unchanged else f"+{len(v.added)} −{len(v.removed)} ~{len(v.changed)}"
        console.print(f"[bold]{k}[/]: {state}")
        for label, ids in (("+", v.added), ("−", v.removed), ("~", v.changed)):
            for i in ids[:30]:
                console.print(f"  {label} {i}")


@app.command("sample")
def sample(
    folder: FolderArg = None,
    kind: Annotated[str, typer.Option()] = "generated-content",
    n: Annotated[int, typer.Option("-n", min=1)] = 100,
    seed: Annotated[int, typer.Option()] = 20240229,
    out: Annotated[Path | None, typer.Option(help="Write JSONL here (default: stdout)")] = None,
) -> None:
    """Seeded sample stratified by risk code or aspect."""

    from clearance.domain.banks import Kind
    from clearance.services import banks as svc

    items = _guard(lambda: svc.sample(_folder(folder), kind=Kind(kind), n=n, seed=seed))
    rows: list[dict[str, Any]] = [i.model_dump(mode="json", exclude_none=True) for i in items]
    emit_rows(rows, out)


@app.command("freeze")
def freeze(folder: FolderArg = None, note: Annotated[str, typer.Option(help="Changelog note")] = "") -> None:
    """Record the banks' content hashes in VERSION.json and log changes in CHANGELOG.md."""
    from clearance.services import banks as svc

    lines = _guard(lambda: svc.freeze(_folder(folder), note=note))
    console.print("\n".join(lines) if lines else "no changes since the last freeze")


@app.command("expand-keywords")
def expand_keywords(folder: FolderArg = None) -> None:
    """Regenerate keywords/variants.jsonl (traditional, pinyin, initials, homophones, symbols...)."""
    from clearance.services import banks as svc

    bases, variants = _guard(lambda: svc.expand_keywords(_folder(folder)))
    console.print(f"{bases} base entries -> {variants} variants")
