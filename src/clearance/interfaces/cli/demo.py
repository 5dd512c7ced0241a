"""`clearance demo`: a seeded instance on this machine, with nothing else running.

A fresh SQLite instance in its own home (``~/.clearance-demo``; ``--home``), seeded by
``services.demo`` — accounts for every role, the registry sample, filings in every phase —
with the model endpoint the filings name served in this process (the scripted mock endpoint,
or the local SmolLM2 model with ``--target local``), and the web application under uvicorn
until Ctrl-C. One event loop serves both; a second Ctrl-C stops without waiting."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import time
from collections.abc import Iterator
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clearance.interfaces.cli.common import console, err_console, fail

if TYPE_CHECKING:
    import uvicorn

    from clearance.services.demo import DemoInstance

MARKER = ".clearance-demo"   # written first: a folder holding it may be wiped by the next run
STATE = "demo.json"          # written after seeding: accounts (with passwords), endpoint port, filings
ROLE_ORDER = ("admin", "provider", "provincial_reviewer", "assessor", "central_reviewer")


def default_home() -> Path:
    return Path.home() / ".clearance-demo"


def _prepare_home(home: Path, keep: bool) -> bool:
    """Make ``home`` ready; True when it already holds a seeded instance to reuse (``--keep``).
    Only a folder this command created (it holds the marker) or an empty one is ever wiped."""
    if home.exists() and not home.is_dir():
        fail(f"--home {home} is a file, not a folder")
    ours = (home / MARKER).is_file()
    if home.is_dir() and any(home.iterdir()) and not ours:
        fail(f"--home {home} is not empty and was not made by `clearance demo`: "
             "choose another folder (nothing was deleted)")
    if keep and (home / STATE).is_file():
        return True
    if home.is_dir():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    (home / MARKER).write_text("made by `clearance demo`; the next run without --keep deletes this folder\n",
                               encoding="utf-8")
    return False


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as s:
        # as uvicorn binds: a port whose last connections linger in TIME_WAIT (a demo just
        # stopped) is free to serve on again
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def _use_home(home: Path) -> str:
    """Point the settings at the demo's home: its own SQLite database and material folder, even
    when CLEARANCE_DATABASE_URL names another database."""
    from clearance.settings import get_settings

    url = f"sqlite:///{home / 'clearance.db'}"
    os.environ["CLEARANCE_HOME"] = str(home)
    os.environ["CLEARANCE_DATABASE_URL"] = url
    get_settings.cache_clear()
    return url


def _save(home: Path, instance: DemoInstance, target: str, endpoint_port: int) -> None:
    path = home / STATE
    data = {"created": datetime.now(UTC).isoformat(timespec="seconds"), "target": target,
            "endpoint_port": endpoint_port, **asdict(instance)}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    path.chmod(0o600)  # it holds the demo accounts' passwords


def _load(home: Path) -> tuple[DemoInstance, dict[str, Any]]:
    from clearance.services.demo import DemoAccount, DemoInstance

    data = json.loads((home / STATE).read_text(encoding="utf-8"))
    inst = DemoInstance(accounts=[DemoAccount(**a) for a in data["accounts"]],
                        filings={k: [(p[0], p[1]) for p in v] for k, v in data["filings"].items()},
                        batch_id=data.get("batch_id"), scheduled_run_id=data.get("scheduled_run_id"),
                        registry_entries=data.get("registry_entries", 0), seconds=data.get("seconds", 0.0))
    return inst, data


def _print_instance(inst: DemoInstance, base: str, home: Path) -> None:
    from rich.table import Table

    from clearance.services.demo import PHASES

    accounts = Table(title="Demo accounts (log in at " + base + "/login)", title_justify="left")
    # role names fold rather than end in "…": on an 80-column terminal "provincial_reviewer" was cut
    for col in ("role", "email", "password", "province / organisation"):
        accounts.add_column(col, no_wrap=col in ("email", "password"), overflow="fold")
    for a in sorted(inst.accounts, key=lambda a: (ROLE_ORDER.index(a.role), a.email)):
        accounts.add_row(a.role, a.email, a.password, a.scope)
    console.print(accounts)
    filings = Table(title="Filings by phase", title_justify="left")
    filings.add_column("state")
    filings.add_column("models")
    for state in PHASES:
        names = [name for _id, name in inst.filings.get(state, [])]
        filings.add_row(state, "、".join(names) or "—")
    console.print(filings)
    console.print(f"Data: {home}  (passwords also in {home / STATE})")


def _endpoint_factory(target: str) -> tuple[Any, str]:
    """(serve coroutine factory, model name) for the endpoint the filings name."""
    if target == "local":
        from clearance.adapters.endpoints.local import MODEL_NAME, find_local_model
        from clearance.adapters.endpoints.local import serve as serve_local

        path = find_local_model()
        assert path is not None  # checked before anything was done
        return (lambda port, ready: serve_local(path, "127.0.0.1", port, ready)), MODEL_NAME
    from clearance.adapters.bankfiles import starter_banks_dir
    from clearance.adapters.endpoints.mock import MockConfig
    from clearance.adapters.endpoints.mock import serve as serve_mock

    # rule-based answers to the starter banks (3% over-refusal, 97% refusal, 4% unsafe) with a
    # little latency, so the scheduled assessment is seen progressing
    cfg = MockConfig(mode="bank", banks_dir=starter_banks_dir(), latency_ms=20, jitter_ms=30)
    return (lambda port, ready: serve_mock(cfg, "127.0.0.1", port, ready)), "mock"


def _server(app: Any, host: str, port: int) -> uvicorn.Server:
    import uvicorn

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            # the demo handles SIGINT/SIGTERM on its loop (below) and exits 0 after a graceful stop
            yield

    # logging is configured by the demo (logging_setup); uvicorn leaves it alone
    return Server(uvicorn.Config(app, host=host, port=port, log_config=None, log_level=None, access_log=False,
                                 lifespan="on"))


async def _run(*, home: Path, url: str, reuse: bool, host: str, port: int, target: str, t0: float) -> None:
    from clearance.adapters.db.engine import engine_for
    from clearance.adapters.material_store import MaterialStore
    from clearance.interfaces import logging_setup
    from clearance.interfaces.web.app import create_app
    from clearance.services import demo
    from clearance.settings import get_settings

    loop = asyncio.get_running_loop()
    stored: dict[str, Any] = {}
    if reuse:
        inst, stored = _load(home)
    serve_endpoint, model = _endpoint_factory(target)
    wanted = int(stored.get("endpoint_port", 0))
    if wanted and not _port_free("127.0.0.1", wanted):
        err_console.print(f"[yellow]port {wanted} of the demo's endpoint is taken: its filings' endpoint "
                          "will not answer until it is free[/]")
        wanted = 0
    ready: asyncio.Future[int] = loop.create_future()
    endpoint_task = asyncio.create_task(serve_endpoint(wanted, ready))
    await asyncio.wait([endpoint_task, ready], return_when=asyncio.FIRST_COMPLETED)
    if not ready.done():
        endpoint_task.result()  # raises what stopped it
    endpoint_port = ready.result()
    endpoint_url = f"http://127.0.0.1:{endpoint_port}/v1"
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"  # a URL to show
    try:
        engine = engine_for(url)
        if not reuse:
            t = demo.local_target(endpoint_url, model) if target == "local" else demo.mock_target(endpoint_url)
            console.print(f"[bold]Seeding a demo instance[/] in {home}; filings name {t.description} at "
                          f"{endpoint_url}")
            inst = await demo.seed(engine, store=MaterialStore(home / "materials"), target=t,
                                   on_step=lambda m: console.print(f"  · {m}"))
            _save(home, inst, target, endpoint_port)
        else:
            console.print(f"[bold]Reusing the demo instance[/] in {home} (--keep)")
        _print_instance(inst, base, home)

        settings = get_settings()
        logging_setup.configure(logging_setup.resolve(settings.log_format, default="text"), settings.log_level)
        server = _server(create_app(engine), host, port)

        def stop() -> None:
            if server.should_exit:
                server.force_exit = True
            server.should_exit = True

        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop)

        async def announce() -> None:
            while not server.started:
                if server.should_exit:
                    return
                await asyncio.sleep(0.02)
            console.print(f"\n[bold green]Clearance demo ready[/] at [bold]{base}[/]  (workspace {base}/login, "
                          f"registry {base}/registry) — started in {time.monotonic() - t0:.1f} s. Ctrl-C stops it.")

        announcer = asyncio.create_task(announce())
        await server.serve()
        announcer.cancel()
        if not server.started:
            fail(f"the web server did not start on {host}:{port} (see the log above)", code=1)
    finally:
        endpoint_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await endpoint_task
    console.print("Clearance demo stopped.")


def demo(
    home: Annotated[Path | None, typer.Option(help="Folder of the demo instance (default ~/.clearance-demo); "
                                                   "wiped and seeded afresh on every run unless --keep")] = None,
    keep: Annotated[bool, typer.Option("--keep", help="Reuse the instance already seeded in --home")] = False,
    host: Annotated[str, typer.Option(help="Address the web server listens on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535)] = 8000,
    target: Annotated[str, typer.Option(help="mock (the scripted mock endpoint) or local (SmolLM2-135M, "
                                             "when installed)")] = "mock",
) -> None:
    """Seed a demonstration instance — accounts for every role, the registry sample, filings in
    every phase with their assessments — and serve it at http://127.0.0.1:8000 until Ctrl-C."""
    t0 = time.monotonic()
    if target not in ("mock", "local"):
        fail("--target takes mock or local")
    folder = (home or default_home()).expanduser().resolve()
    if not _port_free(host, port):
        fail(f"port {port} on {host} is in use: stop what uses it or pass --port")
    if keep and (folder / STATE).is_file():  # the endpoint the seeded filings name, whatever --target says
        target = json.loads((folder / STATE).read_text(encoding="utf-8")).get("target", "mock")
    if target == "local":
        from clearance.adapters.endpoints.local import find_local_model

        if find_local_model() is None:
            fail("no local model: install it with  pip install 'clearance\\[local]'  (builds llama-cpp-python, "
                 "~5 min), or run the demo against the mock endpoint (the default)")
    reuse = _prepare_home(folder, keep)
    url = _use_home(folder)
    try:
        asyncio.run(_run(home=folder, url=url, reuse=reuse, host=host, port=port, target=target, t0=t0))
    except KeyboardInterrupt:  # Ctrl-C before the server was up (once it is, Ctrl-C stops it gracefully)
        err_console.print("interrupted before the demo was ready; the next run seeds it afresh")
        raise typer.Exit(130) from None
