"""Structured logs: JSON lines on stderr, one record per HTTP request with the signed-in user,
never a password, cookie, token or query string; `clearance serve` writes them."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clearance.interfaces import logging_setup
from clearance.interfaces.web.app import create_app
from clearance.interfaces.web.request_log import RequestLog
from clearance.services import accounts
from tests.filings.conftest import ADMIN
from tests.servers import clearance_env, free_port, wait_until_up
from tests.web.workspace_client import Browser

PASSWORD = "a long enough passphrase"


@pytest.fixture
def lines() -> Iterator[io.StringIO]:
    """JSON lines written by the configured root handler, as `clearance serve` sets it up."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging_setup.JsonFormatter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    try:
        yield out
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)


def _records(out: io.StringIO, logger: str = "clearance.http") -> list[dict[str, object]]:
    parsed = [json.loads(line) for line in out.getvalue().splitlines()]  # every line is one JSON object
    return [r for r in parsed if r["logger"] == logger]


def test_a_json_line_has_the_fields_and_redacts_secrets() -> None:
    record = logging.LogRecord("clearance.x", logging.WARNING, __file__, 1, "hello %s", ("world",), None)
    for k, v in {"path": "/filings", "password": "hunter2hunter2", "api_token": "clr_x", "Cookie": "s=1",
                 "csrf_token": "abc"}.items():
        setattr(record, k, v)
    line = logging_setup.JsonFormatter().format(record)
    assert "\n" not in line
    obj = json.loads(line)
    assert obj["level"] == "WARNING" and obj["logger"] == "clearance.x" and obj["message"] == "hello world"
    assert obj["time"].endswith("Z") and "T" in obj["time"]
    assert obj["path"] == "/filings"
    assert obj["password"] == obj["api_token"] == obj["Cookie"] == obj["csrf_token"] == "[redacted]"
    assert "hunter2" not in line and "clr_x" not in line


def test_exceptions_are_kept_on_one_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.LogRecord("clearance.x", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    line = logging_setup.JsonFormatter().format(record)
    assert "\n" not in line and "RuntimeError: boom" in json.loads(line)["exc"]
    text = logging_setup.TextFormatter().format(record)
    assert text.splitlines()[0].endswith("ERROR clearance.x failed") and "RuntimeError: boom" in text


def test_the_format_setting() -> None:
    assert logging_setup.resolve("auto", default="json") == "json"
    assert logging_setup.resolve("auto", default="text") == "text"
    assert logging_setup.resolve("TEXT", default="json") == "text"
    with pytest.raises(ValueError, match="choose auto, json or text"):
        logging_setup.resolve("xml", default="json")


def test_requests_are_logged_with_the_user_and_without_secrets(db: Engine, lines: io.StringIO) -> None:
    user = accounts.create_user(db, actor=ADMIN, email="c@cac.gov.cn", role="central_reviewer", password=PASSWORD)
    app = create_app(db, cache_check_interval=0)
    anonymous = TestClient(app)
    anonymous.get("/registry?q=secret-query")
    b = Browser(app)
    assert b.login("c@cac.gov.cn", PASSWORD).status_code == 303
    b.get("/filings?state=draft")
    session_cookie = b.client.cookies.get("clearance_session")
    assert session_cookie

    recs = _records(lines)
    by_path = {(r["method"], r["path"]): r for r in recs}
    public = by_path[("GET", "/registry")]
    assert public["status"] == 200 and "user" not in public and isinstance(public["duration_ms"], float)
    login = by_path[("POST", "/login")]
    assert login["status"] == 303 and "user" not in login  # the session starts with the response
    page = by_path[("GET", "/filings")]
    assert page["status"] == 200 and page["user"] == user.id and page["message"] == "GET /filings 200"
    everything = json.dumps(recs, ensure_ascii=False)  # (httpx, the test client, logs its own URLs)
    for secret in (PASSWORD, session_cookie, b.csrf, "secret-query", "state=draft"):
        assert secret not in everything


def test_a_failing_handler_is_logged_as_an_error_with_its_traceback(lines: io.StringIO) -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("handler failed")

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(RequestLog)
    client = TestClient(app, raise_server_exceptions=False)
    assert client.get("/boom").status_code == 500
    client.get("/healthz")
    failed, health_rec = _records(lines)
    assert failed["level"] == "ERROR" and failed["status"] == 500
    assert "RuntimeError: handler failed" in str(failed["exc"])
    assert health_rec["level"] == "DEBUG" and health_rec["path"] == "/healthz"  # probes stay below INFO


def test_nothing_is_formatted_when_info_is_off(db: Engine) -> None:
    # the default for a library user who configured nothing: the root logger is at WARNING
    seen: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = seen.append  # type: ignore[method-assign]
    logging.getLogger().addHandler(handler)
    try:
        TestClient(create_app(db)).get("/registry")
    finally:
        logging.getLogger().removeHandler(handler)
    assert not [r for r in seen if r.name == "clearance.http"]


@pytest.mark.slow
def test_clearance_serve_writes_json_lines_on_stderr(tmp_path: Path) -> None:
    env = clearance_env(tmp_path)
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "clearance", "serve", "--port", str(port)], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base + "/healthz", proc=proc)
        urllib.request.urlopen(base + "/registry?q=x", timeout=5).read()
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    parsed = [json.loads(line) for line in err.splitlines() if line.strip()]  # nothing but JSON lines
    request = next(r for r in parsed if r["logger"] == "clearance.http" and r["path"] == "/registry")
    assert request["method"] == "GET" and request["status"] == 200 and request["level"] == "INFO"
    assert any(r["logger"].startswith("uvicorn") for r in parsed)
    assert "q=x" not in err
