"""`clearance demo`: the seeding service leaves a filing in every phase and accounts that log in
through /login; the command itself starts, serves and stops cleanly on Ctrl-C."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import signal
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from clearance.adapters.bankfiles import starter_banks_dir
from clearance.adapters.db import accounts as accounts_repo
from clearance.adapters.db import runs as runs_repo
from clearance.adapters.db.accounts import UserRecord
from clearance.adapters.db.engine import make_engine, upgrade
from clearance.adapters.endpoints.local import find_local_model
from clearance.adapters.endpoints.mock import MockConfig
from clearance.adapters.material_store import MaterialStore
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor, Role
from clearance.domain.registry.query import RegistryQuery
from clearance.interfaces.cli.app import app as cli
from clearance.interfaces.web.app import create_app
from clearance.services import accounts, audit_log, demo, registry
from clearance.services import filings as filing_service
from tests.mockserver import mock_server
from tests.servers import clearance_env, free_port, wait_until_up
from tests.web.workspace_client import Browser, csrf_of

CENTRAL = Actor("usr_test_reader", Role.CENTRAL_REVIEWER)


@dataclass
class Seeded:
    db: Engine
    instance: demo.DemoInstance
    store: MaterialStore


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    home = tmp_path_factory.mktemp("demo-home")
    db = make_engine(f"sqlite:///{home / 'clearance.db'}")
    upgrade(db)
    store = MaterialStore(home / "materials")

    async def main() -> demo.DemoInstance:
        async with mock_server(MockConfig(mode="bank", banks_dir=starter_banks_dir())) as (url, _mock):
            return await demo.seed(db, store=store, target=demo.mock_target(url))

    yield Seeded(db, asyncio.run(main()), store)
    db.dispose()


def _filing(s: Seeded, state: str, i: int = 0) -> Filing:
    fid = s.instance.filings[state][i][0]
    if state == "draft":  # drafts are their organisation's alone
        provider = next(a for a in s.instance.accounts if a.email.startswith("provider.bj@"))
        actor = accounts.actor_for(_user(s, provider.user_id))
        return filing_service.get_filing(s.db, actor=actor, filing_id=fid)
    return filing_service.get_filing(s.db, actor=CENTRAL, filing_id=fid)


def _user(s: Seeded, user_id: str) -> UserRecord:
    with s.db.connect() as conn:
        user = accounts_repo.get_user(conn, user_id)
    assert user is not None
    return user


def test_every_phase_has_a_filing_in_that_state(seeded: Seeded) -> None:
    assert set(seeded.instance.filings) == set(demo.PHASES)
    for state in demo.PHASES:
        for i in range(len(seeded.instance.filings[state])):
            assert _filing(seeded, state, i).state.value == state
    assert len(seeded.instance.filings["published"]) == 2 and len(seeded.instance.filings["approved"]) == 2


def test_reasons_numbers_and_assessments_are_where_the_process_puts_them(seeded: Seeded) -> None:
    def reasons(state: str) -> list[str | None]:
        f = _filing(seeded, state)
        return [e.reason for e in filing_service.timeline(seeded.db, actor=CENTRAL, filing_id=f.id)]

    assert demo.SUPPLEMENT_REASON in reasons("supplement_requested")
    assert demo.REJECT_REASON in reasons("rejected")
    assert demo.SUSPEND_REASON in reasons("suspended")

    central = _filing(seeded, "central_review")
    run = runs_repo.get_run(seeded.db, central.assessment_run_id)
    assert run.status == "completed" and run.report_sha256 and central.assessment_signed_by
    assert run.plan["name"] == "quick"

    waiting = _filing(seeded, "technical_assessment")
    assert waiting.assessment_run_id == seeded.instance.scheduled_run_id and waiting.assessment_signed_by is None
    scheduled = runs_repo.get_run(seeded.db, waiting.assessment_run_id)
    assert scheduled.status != "completed" and scheduled.total_items == 1600  # left for the server's runner
    assert scheduled.endpoint["base_url"] == waiting.form.endpoint.base_url  # the demo's endpoint

    for state in ("approved", "published", "suspended"):
        assert _filing(seeded, state).number
    kinds = {_filing(seeded, "approved", i).kind.value for i in range(2)}
    assert kinds == {"filing", "registration"}


def test_the_registry_holds_the_sample_and_the_published_batch(seeded: Seeded) -> None:
    assert seeded.instance.registry_entries == 115
    listing = registry.listing(seeded.db, RegistryQuery(limit=500))
    assert listing.page.total == 115 + 3
    numbers = {e.number: e for e in listing.page.entries}
    published = [_filing(seeded, "published", i) for i in range(2)]
    suspended = _filing(seeded, "suspended")
    assert all(f.number in numbers for f in published)
    assert numbers[suspended.number].status.value == "suspended"
    assert registry.batch(seeded.db, seeded.instance.batch_id or "") is not None


def test_the_audit_chain_is_intact(seeded: Seeded) -> None:
    assert audit_log.verify(seeded.db) is None


def test_materials_are_valid_files(seeded: Seeded) -> None:
    f = _filing(seeded, "published")
    assert len(f.current_materials()) == 6
    for material in f.current_materials().values():
        d = filing_service.download_material(seeded.db, actor=CENTRAL, filing_id=f.id, material_id=material.id,
                                             store=seeded.store)
        if d.material.filename.endswith(".pdf"):
            assert d.content.startswith(b"%PDF-") and d.content.rstrip().endswith(b"%%EOF")
        elif d.material.filename.endswith(".docx"):
            names = zipfile.ZipFile(io.BytesIO(d.content)).namelist()
            assert "word/document.xml" in names and "[Content_Types].xml" in names
    draft = _filing(seeded, "draft")
    assert filing_service.missing_of(draft)  # a draft still being written


def test_every_account_logs_in_through_the_login_form(seeded: Seeded) -> None:
    app = create_app(seeded.db)
    roles = {a.role for a in seeded.instance.accounts}
    assert roles == {"admin", "provider", "provincial_reviewer", "assessor", "central_reviewer"}
    assert len(seeded.instance.accounts) == 7
    provinces = {_user(seeded, a.user_id).province for a in seeded.instance.accounts
                 if a.role == "provincial_reviewer"}
    assert provinces == {demo.BEIJING, demo.SHANGHAI}
    for account in seeded.instance.accounts:
        b = Browser(app)
        assert b.login(account.email, account.password).status_code == 303, account.email
    central = next(a for a in seeded.instance.accounts if a.role == "central_reviewer")
    b = Browser(app)
    b.login(central.email, central.password)
    page = b.get("/review/batches")
    assert page.status_code == 200
    assert "燕京翻译" in page.text and "外滩智能客服" in page.text  # approved, waiting for a batch
    assert "天坛通用大模型" in page.text  # in the published batch


def test_the_command_refuses_a_folder_it_did_not_make(tmp_path: Path) -> None:
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    result = CliRunner().invoke(cli, ["demo", "--home", str(foreign), "--port", str(free_port())])
    assert result.exit_code == 2 and "not made by `clearance demo`" in result.output
    assert (foreign / "notes.txt").read_text() == "keep me"
    result = CliRunner().invoke(cli, ["demo", "--home", str(foreign), "--target", "cloud"])
    assert result.exit_code == 2 and "--target takes mock or local" in result.output
    if find_local_model() is None:
        fresh = tmp_path / "fresh"
        result = CliRunner().invoke(cli, ["demo", "--home", str(fresh), "--target", "local",
                                          "--port", str(free_port())])
        assert result.exit_code == 2 and "clearance[local]" in result.output and not fresh.exists()


def _start(home: Path, port: int, *extra: str) -> subprocess.Popen[str]:
    env = clearance_env(PYTHONUNBUFFERED="1", COLUMNS="160")
    return subprocess.Popen([sys.executable, "-m", "clearance", "demo", "--port", str(port), "--home", str(home),
                             *extra], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_healthy(proc: subprocess.Popen[str], base: str, timeout: float = 120.0) -> float:
    return wait_until_up(base + "/healthz", proc=proc, timeout=timeout)


def _login(base: str, email: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10,
                          headers={"Accept-Language": "en"})
    form = client.get("/login")
    resp = client.post("/login", data={"email": email, "password": password, "csrf_token": csrf_of(form.text),
                                       "next": "/review/batches"})
    assert resp.status_code == 303 and resp.headers["location"] == "/review/batches"
    return client


def _interrupt(proc: subprocess.Popen[str]) -> tuple[str, str]:
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        pytest.fail(f"clearance demo did not stop on SIGINT:\n{out}\n{err}")
    return out, err


@pytest.mark.slow
def test_clearance_demo_serves_a_seeded_instance_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    home, port = tmp_path / "demo", free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(home, port)
    try:
        _wait_healthy(proc, base)
        state = json.loads((home / "demo.json").read_text(encoding="utf-8"))
        central = next(a for a in state["accounts"] if a["role"] == "central_reviewer")
        with contextlib.closing(_login(base, central["email"], central["password"])) as client:
            page = client.get("/review/batches")
            assert page.status_code == 200 and "天坛通用大模型" in page.text
            assert client.get("/filings").text.count("/filings/fil_") >= 10
        assert "天坛通用大模型" in httpx.get(base + "/registry", timeout=10).text
    finally:
        out, err = _interrupt(proc)
    assert proc.returncode == 0, err
    assert f"{base}" in out and central["email"] in out and central["password"] in out
    assert "Clearance demo stopped." in out
    assert "clearance.http GET /review/batches 200" in err  # the request log (text for the demo)

    # --keep serves the same instance again, without seeding
    proc = _start(home, port, "--keep")
    try:
        _wait_healthy(proc, base)
        with contextlib.closing(_login(base, central["email"], central["password"])) as client:
            assert client.get("/review/batches").status_code == 200
    finally:
        out, err = _interrupt(proc)
    assert proc.returncode == 0, err
    assert "Reusing the demo instance" in out and "Seeding" not in out
