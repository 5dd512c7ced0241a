"""`clearance banks ...`: validate and describe bank folders."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from clearance.interfaces.cli.common import console, emit_json, err_console, fail

app = typer.Typer(help="Check and describe test banks and keyword libraries.", no_args_is_help=True)


def _load(folder: Path | None):  # type: ignore[no-untyped-def]
    from clearance.api import resolve_banks
    from clearance.domain.banks import BankValidationError

    try:
        return resolve_banks(folder)
    except BankValidationError as exc:
        for e in exc.errors[:50]:
            err_console.print(f"  {e}")
        if len(exc.errors) > 50:
            err_console.print(f"  … and {len(exc.errors) - 50} more")
        fail(f"{len(exc.errors)} problem(s); nothing was loaded", code=1)


@app.command("validate")
def validate(folder: Annotated[Path | None, typer.Argument(help="Bank folder (default: starter banks)")] = None,
             as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Check schema, ids and risk codes of every file; print each bank's size and hash."""
    bs = _load(folder)
    rows = [{"bank": k.value, "items": len(b), "sha256": b.sha256} for k, b in sorted(bs.banks.items())]
    if bs.keywords is not None:
        rows.append({"bank": "keywords", "items": len(bs.keywords), "sha256": bs.keywords.sha256})
    if as_json:
        emit_json({"ok": True, "banks": rows})
        return
    for r in rows:
        console.print(f"[green]ok[/] {r['bank']:<18} {r['items']:>6} items  sha256 {r['sha256'][:16]}…")


@app.command("stats")
def stats(folder: Annotated[Path | None, typer.Argument()] = None,
          as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Counts per risk code / aspect and language, and the standard's floors as clauses."""
    from collections import Counter

    from rich.table import Table

    from clearance.domain.conformity import bank_clauses

    bs = _load(folder)
    per: dict[str, dict[str, int]] = {}
    for k, b in bs.banks.items():
        per[k.value] = dict(sorted(Counter(f"{i.stratum}/{i.lang}" for i in b.items).items()))
    if bs.keywords is not None:
        per["keywords"] = dict(sorted(Counter(f"{e.risk}/{e.lang}" for e in bs.keywords.entries).items()))
    clauses = bank_clauses(bs)
    if as_json:
        emit_json({"counts": per, "clauses": [c.model_dump(mode="json") for c in clauses]})
        return
    t = Table(title="Conformity with the standard's floors")
    for col in ("clause", "requirement", "required", "actual", "verdict", "detail"):
        t.add_column(col)
    for c in clauses:
        colour = {"符合": "green", "不符合": "red"}.get(c.verdict, "dim")
        t.add_row(c.clause, c.title_en, str(c.required), str(c.actual), f"[{colour}]{c.verdict}[/]", c.detail[:80])
    console.print(t)
    for bank, counts in per.items():
        console.print(f"[bold]{bank}[/]: " + ", ".join(f"{k} {v}" for k, v in counts.items()))
