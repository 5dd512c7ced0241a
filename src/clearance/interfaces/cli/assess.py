"""`clearance assess ...`: run, list, status, resume, rejudge, report."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearance.interfaces.cli.common import console, db, emit_json, emit_rows, err_console, fail

if TYPE_CHECKING:
    from collections.abc import Callable, Coroutine

    from sqlalchemy import Engine

    from clearance.domain.report import Report

app = typer.Typer(help="Run the standard's technical assessment against a model endpoint.", no_args_is_help=True)

EXIT_GATE_FAILED = 1
EXIT_INTERRUPTED = 130


def _parse_samples(values: list[str]) -> dict[str, int]:
    aliases = {"gc": "generated-content", "generated-content": "generated-content",
               "refuse": "should-refuse", "should-refuse": "should-refuse",
               "answer": "should-answer", "should-answer": "should-answer"}
    out: dict[str, int] = {}
    for v in values:
        key, _, num = v.partition("=")
        if key not in aliases or not num.isdigit():
            fail(f"--sample {v!r}: write KIND=N with KIND one of gc, refuse, answer (e.g. --sample gc=1000)")
        out[aliases[key]] = int(num)
    return out


def _parse_headers(values: list[str]) -> dict[str, str]:
    out = {}
    for v in values:
        k, sep, val = v.partition("=")
        if not sep or not k.strip():
            fail(f"--header {v!r}: write NAME=VALUE")
        out[k.strip()] = val
    return out


def _run_async(coro_factory: Any) -> Any:
    """Run the engine; SIGTERM is turned into the same orderly stop as Ctrl-C, which stores
    every completed result before exiting."""
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None
        loop.add_signal_handler(signal.SIGTERM, task.cancel)
        return await coro_factory()

    try:
        return asyncio.run(main())
    except (KeyboardInterrupt, asyncio.CancelledError):
        return None


def _finish(engine: Engine, run_id: str, report: Report | None, out: Path | None, as_json: bool,
            fail_on: str) -> None:
    from clearance.adapters.reports.render import write_all
    from clearance.settings import get_settings

    if report is None:
        err_console.print(f"[yellow]interrupted[/]: completed results are stored. Continue with "
                          f"[bold]clearance assess resume {run_id}[/]")
        raise typer.Exit(EXIT_INTERRUPTED)
    folder = out or get_settings().reports_dir() / run_id
    paths = write_all(report, folder)
    if as_json:
        emit_json({"run_id": run_id, "decision": str(report.summary.decision),
                   "gates": {g.id: g.verdict for g in report.gates},
                   "report_sha256": report.sha256(), "files": {k: str(v) for k, v in paths.items()}})
    else:
        _print_summary(report)
        console.print(f"\nHTML report: [bold]{paths['html']}[/]\nJSON record: {paths['json']}  "
                      f"(sha256 {report.sha256()[:16]}…)\nItems CSV:   {paths['csv']}")
    decision = str(report.summary.decision)
    if fail_on == "never":
        return
    if decision == "FAIL" or (fail_on == "marginal" and decision in ("MARGINAL", "INCOMPLETE")):
        raise typer.Exit(EXIT_GATE_FAILED)


def _print_summary(report: Report) -> None:
    from rich.table import Table

    t = Table(title=f"Run {report.run_id} · decision {report.summary.decision}")
    for col in ("gate", "rate", "95% CI", "threshold", "n", "errors", "verdict"):
        t.add_column(col, justify="right" if col in ("rate", "n", "errors") else "left")
    colour = {"PASS": "green", "FAIL": "red", "MARGINAL": "yellow", "NOT_RUN": "dim"}
    for g in report.gates:
        t.add_row(f"{g.title_en}", "—" if g.rate is None else f"{g.rate:.1%}",
                  f"{g.ci_low:.1%}–{g.ci_high:.1%}", f"{g.op} {g.threshold:.0%}", str(g.n), str(g.errors),
                  f"[{colour.get(g.verdict, 'white')}]{g.verdict}[/]")
    console.print(t)
    bad = [c for c in report.clauses if c.verdict == "不符合"]
    if bad:
        console.print(f"[yellow]{len(bad)} clause(s) 不符合 (does not conform):[/] " + "; ".join(f"{c.title_en} ({c.actual}/{c.required})" for c in bad))


@app.command("run")
def run(
    endpoint: Annotated[str, typer.Option("--endpoint", help="Base URL of an OpenAI-compatible API, e.g. http://127.0.0.1:8000/v1")],
    model: Annotated[str, typer.Option("--model", help="Model name sent in each request")],
    plan: Annotated[str, typer.Option(help="tc260 (the standard's sample sizes) or quick")] = "tc260",
    banks: Annotated[Path | None, typer.Option(help="Bank folder; default: the starter banks")] = None,
    sample: Annotated[list[str] | None, typer.Option(help="Override a sample size: gc=N, refuse=N, answer=N (repeatable)")] = None,
    concurrency: Annotated[int, typer.Option(min=1, max=4096)] = 16,
    rpm: Annotated[int | None, typer.Option(help="Requests-per-minute limit")] = None,
    tpm: Annotated[int | None, typer.Option(help="Tokens-per-minute limit")] = None,
    timeout: Annotated[float, typer.Option(help="Per-request timeout (s)")] = 60.0,
    item_timeout: Annotated[float, typer.Option(help="Per-item timeout including retries (s)")] = 300.0,
    retries: Annotated[int, typer.Option(min=0, max=50)] = 5,
    api_key_env: Annotated[str | None, typer.Option(help="Name of the environment variable holding the API key")] = None,
    temperature: Annotated[float, typer.Option(min=0.0, max=2.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option(min=1)] = 512,
    system: Annotated[str | None, typer.Option(help="System prompt")] = None,
    header: Annotated[list[str] | None, typer.Option(help="Extra header NAME=VALUE (repeatable)")] = None,
    insecure: Annotated[bool, typer.Option(help="Do not verify TLS certificates")] = False,
    ca_file: Annotated[Path | None, typer.Option(help="CA bundle for TLS verification")] = None,
    judge_endpoint: Annotated[str | None, typer.Option(help="Judge model: base URL of an OpenAI-compatible API (adds the model judge and the classifier-model gate)")] = None,
    judge_model: Annotated[str | None, typer.Option(help="Judge model name")] = None,
    judge_api_key_env: Annotated[str | None, typer.Option(help="Env var holding the judge model's API key")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed")] = None,
    label: Annotated[str | None, typer.Option(help="Free-text label for the run")] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the report files")] = None,
    fail_on: Annotated[str, typer.Option(help="Exit 1 on: fail (a gate failed; default), marginal (also marginal/incomplete) or never")] = "fail",
    progress: Annotated[bool, typer.Option(help="Show a live progress bar")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print a JSON summary")] = False,
) -> None:
    """Sample the banks, query the model, judge every answer, and write the report."""
    from pydantic import ValidationError

    from clearance.api import resolve_banks
    from clearance.domain.banks import BankValidationError, Kind
    from clearance.domain.endpoint import EndpointConfig
    from clearance.domain.plan import PLANS, ExecutionSettings, JudgeConfig
    from clearance.interfaces.cli.progress import live_progress
    from clearance.services import assessments

    if plan not in PLANS:
        fail(f"--plan {plan!r} is not known; choose one of {', '.join(PLANS)}")
    if fail_on not in ("fail", "marginal", "never"):
        fail("--fail-on takes fail, marginal or never")
    try:
        cfg = EndpointConfig(base_url=endpoint, model=model, api_key_env=api_key_env, temperature=temperature,
                             max_tokens=max_tokens, system_prompt=system, extra_headers=_parse_headers(header or []),
                             verify_tls=not insecure, ca_file=str(ca_file) if ca_file else None, timeout_s=timeout)
        overrides: dict[str, Any] = {"execution": ExecutionSettings(
            concurrency=concurrency, requests_per_minute=rpm, tokens_per_minute=tpm,
            item_timeout_s=item_timeout, max_retries=retries)}
        if seed is not None:
            overrides["seed"] = seed
        the_plan = PLANS[plan](**overrides)
        for k, n in _parse_samples(sample or []).items():
            the_plan.samples[Kind(k)] = n
        if judge_endpoint or judge_model:
            if not (judge_endpoint and judge_model):
                fail("--judge-endpoint and --judge-model go together")
            jargs: dict[str, Any] = {"base_url": judge_endpoint, "model": judge_model}
            if judge_api_key_env:
                jargs["api_key_env"] = judge_api_key_env
            the_plan.judges.append(JudgeConfig(name="model", args=jargs))
        bank_set = resolve_banks(banks)
    except ValidationError as exc:
        fail("; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()))
    except BankValidationError as exc:
        for e in exc.errors[:20]:
            err_console.print(f"  {e}")
        fail(f"the banks did not load ({len(exc.errors)} problem(s)); nothing was run")
    if api_key_env:
        import os

        if not os.environ.get(api_key_env):
            fail(f"environment variable {api_key_env} is not set; export the API key in it")
    engine = db()
    record = assessments.schedule(engine, plan=the_plan, endpoint=cfg, banks=bank_set, label=label)
    err_console.print(f"run [bold]{record.id}[/]: {record.total_items} items against {cfg.model} at {cfg.base_url}")
    with live_progress(record.total_items, progress and not as_json) as on_progress:
        report = _run_async(lambda: assessments.execute_run(engine, record.id, on_progress=on_progress,
                                                            keywords=bank_set.keywords))
    _finish(engine, record.id, report, out, as_json, fail_on)


@app.command("resume")
def resume(
    run_id: Annotated[str, typer.Argument(help="Run id (see `clearance assess list`)")],
    retry_errors: Annotated[bool, typer.Option(help="Also retry items that ended in an error")] = False,
    out: Annotated[Path | None, typer.Option(help="Folder for the report files")] = None,
    fail_on: Annotated[str, typer.Option(help="Exit non-zero on: fail or marginal")] = "fail",
    progress: Annotated[bool, typer.Option(help="Show a live progress bar")] = True,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Continue a stopped or killed run. Items with a stored result are never sent again."""
    from clearance.adapters.db.runs import RunNotFound, get_run, item_counts
    from clearance.interfaces.cli.progress import live_progress
    from clearance.services import assessments

    engine = db()
    try:
        record = get_run(engine, run_id)
    except RunNotFound as exc:
        fail(str(exc))
    counts = item_counts(engine, run_id)
    err_console.print(f"run [bold]{run_id}[/]: {counts.get('pending', 0)} pending, {counts.get('done', 0)} done, "
                      f"{counts.get('error', 0)} errors")
    with live_progress(record.total_items, progress and not as_json) as on_progress:
        from clearance.services.run_lease import RunLeased

        try:
            report = _run_async(lambda: _leased(engine, run_id, lambda: assessments.execute_run(
                engine, run_id, retry_errors=retry_errors, on_progress=on_progress)))
        except RunLeased as exc:
            fail(str(exc))
    _finish(engine, run_id, report, out, as_json, fail_on)


async def _leased(engine: Engine, run_id: str, work: Callable[[], Coroutine[Any, Any, Report]]) -> Report:
    """Hold the run's lease while resuming, as the web app's runner does."""
    from clearance.services.assessment_runner import owner_id
    from clearance.services.run_lease import holding

    async with holding(engine, run_id, "cli:" + owner_id()):
        return await work()


@app.command("rejudge")
def rejudge(
    run_id: Annotated[str, typer.Argument()],
    out: Annotated[Path | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-run the judges on the stored responses without calling the model."""
    from clearance.adapters.db.runs import RunNotFound
    from clearance.services import assessments

    engine = db()
    try:
        report = assessments.rejudge(engine, run_id)
    except RunNotFound as exc:
        fail(str(exc))
    _finish(engine, run_id, report, out, as_json, "fail")


@app.command("list")
def list_runs(as_json: Annotated[bool, typer.Option("--json")] = False,
              limit: Annotated[int, typer.Option(min=1)] = 50) -> None:
    """List assessment runs, newest first."""
    from rich.table import Table

    from clearance.adapters.db.runs import list_runs as _list

    rows = _list(db(), limit)
    if as_json:
        emit_json([{"id": r.id, "created_at": r.created_at.isoformat(), "status": r.status,
                    "model": r.endpoint.get("model"), "items": r.total_items, "decision": r.decision,
                    "report_sha256": r.report_sha256, "label": r.label} for r in rows])
        return
    t = Table()
    for c in ("run", "created (UTC)", "status", "model", "items", "decision"):
        t.add_column(c)
    for r in rows:
        t.add_row(r.id, r.created_at.strftime("%Y-%m-%d %H:%M"), r.status, str(r.endpoint.get("model")),
                  str(r.total_items), r.decision or "—")
    console.print(t)


@app.command("status")
def status(run_id: Annotated[str, typer.Argument()],
           as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Progress and current verdicts of one run."""
    from clearance.adapters.db.runs import RunNotFound, get_run, item_counts
    from clearance.services.assessments import build_report

    engine = db()
    try:
        r = get_run(engine, run_id)
    except RunNotFound as exc:
        fail(str(exc))
    counts = item_counts(engine, run_id)
    rep = build_report(engine, run_id, include_items=False)
    data = {"id": r.id, "status": r.status, "total": r.total_items, "counts": counts,
            "decision": str(rep.summary.decision), "gates": {g.id: {"verdict": g.verdict, "rate": g.rate,
                                                                      "ci": [g.ci_low, g.ci_high], "n": g.n}
                                                               for g in rep.gates},
            "errors": rep.errors.by_type, "report_sha256": r.report_sha256}
    if as_json:
        emit_json(data)
        return
    console.print(f"run [bold]{r.id}[/] · {r.status} · {counts.get('done', 0)} done, {counts.get('error', 0)} errors, "
                  f"{counts.get('pending', 0)} pending of {r.total_items}")
    _print_summary(rep)


@app.command("report")
def report(
    run_id: Annotated[str, typer.Argument()],
    fmt: Annotated[str, typer.Option("--format", help="all, html, json, csv or pdf")] = "all",
    out: Annotated[Path | None, typer.Option(help="Folder (for all) or file")] = None,
) -> None:
    """Write the report files of a run (JSON record, HTML, items CSV)."""
    from clearance.adapters.db.runs import RunNotFound
    from clearance.adapters.reports import render
    from clearance.services.assessments import build_report
    from clearance.settings import get_settings

    engine = db()
    try:
        rep = build_report(engine, run_id)
    except RunNotFound as exc:
        fail(str(exc))
    if fmt == "all":
        paths = render.write_all(rep, out or get_settings().reports_dir() / run_id)
        for k, p in paths.items():
            console.print(f"{k:>6}: {p}")
        return
    if fmt == "pdf":
        target = out or get_settings().reports_dir() / run_id / "report.pdf"
        try:
            data = render.to_pdf(rep)
        except RuntimeError as exc:
            fail(str(exc))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        console.print(str(target))
        return
    writers = {"html": render.to_html, "json": render.to_json, "csv": render.to_csv}
    if fmt not in writers:
        fail("--format takes all, html, json, csv or pdf")
    text = writers[fmt](rep)
    if out is None:
        import sys

        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        console.print(str(out))


@app.command("manual-sample")
def manual_sample(
    run_id: Annotated[str, typer.Argument()],
    n: Annotated[int, typer.Option("-n", min=1, help="How many items to label")] = 100,
    seed: Annotated[int, typer.Option()] = 0,
    out: Annotated[Path | None, typer.Option(help="JSONL file to write (default: stdout)")] = None,
) -> None:
    """Export a stratified sample of answered items for human labelling (fill refusal_class,
    harmful, risk_code, note; then `clearance assess label`)."""

    from clearance.adapters.db.runs import RunNotFound
    from clearance.services import labels

    engine = db()
    try:
        rows = labels.sample_rows(labels.manual_sample(engine, run_id, n=n, seed=seed))
    except RunNotFound as exc:
        fail(str(exc))
    emit_rows(rows, out)


@app.command("label")
def label(
    run_id: Annotated[str, typer.Argument()],
    source: Annotated[Path, typer.Argument(help="JSONL, CSV or XLSX with id and refusal_class and/or harmful, risk_code, note")],
    labeller: Annotated[str, typer.Option(help="Who labelled (kept as provenance)")],
    out: Annotated[Path | None, typer.Option()] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Import human labels: they override automatic verdicts, feed the manual gate and measure
    the judges. All rows valid, or nothing stored."""
    from clearance.adapters.db.runs import RunNotFound
    from clearance.domain.banks import BankValidationError
    from clearance.services import assessments, labels

    engine = db()
    try:
        n = labels.import_labels(engine, run_id, source, labeller=labeller)
    except RunNotFound as exc:
        fail(str(exc))
    except BankValidationError as exc:
        for e in exc.errors[:30]:
            err_console.print(f"  {e}")
        fail(f"{len(exc.errors)} problem(s); no label was stored", code=1)
    err_console.print(f"stored {n} labels by {labeller}")
    _finish(engine, run_id, assessments.finalise(engine, run_id), out, as_json, "never")
