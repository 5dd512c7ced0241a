"""`clearance registry ...`: import published lists, load the sample, suspend/revoke entries."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from clearance.interfaces.cli.common import console, db, emit_json, fail, fail_listing

if TYPE_CHECKING:
    from clearance.services.registry import ImportReport

app = typer.Typer(help="The public registry: import the regulator's published lists, load the sample, "
                       "suspend or revoke entries.", no_args_is_help=True)
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output")]


def _report(rep: ImportReport, as_json: bool) -> None:
    from dataclasses import asdict

    if as_json:
        emit_json(asdict(rep))
        return
    console.print(f"{rep.file}: {rep.rows} rows -> batch [bold]{rep.batch}[/]: {rep.added} added, "
                  f"{rep.already_present} already in the registry, {rep.repeated} repeated in the file")


def _run_import(fn: Callable[[], ImportReport]) -> ImportReport:
    """Import errors become a listed, located failure (exit 1), never a traceback."""
    from clearance.domain.registry.rows import RegistryImportError

    try:
        return fn()
    except RegistryImportError as exc:
        fail_listing(exc.errors, f"{len(exc.errors)} problem(s); nothing was imported", limit=100)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A published list: .csv, .xlsx or .pdf")],
    batch: Annotated[str | None, typer.Option(help="Batch name (default: the file name)")] = None,
    title: Annotated[str | None, typer.Option(help="Batch title shown on the batch page")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Import a published list (both sections 已备案 and 已登记), all or nothing."""
    from clearance.services import registry as svc

    _report(_run_import(lambda: svc.import_file(db(), file, batch=batch, title=title)), as_json)


@app.command("load-sample")
def load_sample(
    path: Annotated[Path | None, typer.Option(help="Folder with registry-sample.csv and batches-sample.csv "
                                                   "(default: data/registry-sample in the repository)")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Load the compiled sample of real published entries and reported batch counts (idempotent)."""
    from clearance.adapters.registry_files import sample_dir
    from clearance.services import registry as svc

    folder = path or sample_dir()
    if not (folder / svc.SAMPLE_ENTRIES).is_file():
        fail(f"{folder / svc.SAMPLE_ENTRIES} not found: pass --path to the folder holding the sample")
    _report(_run_import(lambda: svc.load_sample(db(), folder)), as_json)


@app.command("status")
def status(
    number: Annotated[str, typer.Argument(help="The entry's filing or launch number")],
    new_status: Annotated[str, typer.Argument(metavar="STATUS", help="published, suspended or revoked")],
    reason: Annotated[str, typer.Option(help="Shown publicly with the status")],
) -> None:
    """Suspend, reinstate or revoke an entry. The entry stays visible with its status and reason."""
    from clearance.domain.registry.entries import Status, StatusChangeError
    from clearance.services import registry as svc

    try:
        target = Status(new_status)
    except ValueError:
        fail("STATUS takes published, suspended or revoked")
    try:
        e = svc.change_status(db(), number=number, status=target, reason=reason)
    except (LookupError, StatusChangeError) as exc:
        fail(str(exc), code=1)
    console.print(f"{e.number}: {e.status.value} ({reason})")
