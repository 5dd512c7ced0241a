"""Fixtures for the phase 2 and 3 pages: a mock model endpoint and the web app, each served
over real HTTP on a free port in a thread of its own; a browser that logs in through the real
/login form; and a filing walked to technical assessment with its endpoint at the mock."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import httpx
import uvicorn
from aiohttp import web
from fastapi import FastAPI
from sqlalchemy import Engine

from clearance.adapters.endpoints.mock import MockConfig, MockEndpoint
from clearance.adapters.material_store import MaterialStore
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor
from clearance.interfaces.web.app import create_app
from clearance.interfaces.web.filings.api import material_store
from clearance.services import accounts, review
from clearance.services import filings as filing_service
from tests.filings.conftest import ADMIN, BEIJING, FILING_FORM, MATERIAL_FILES, ORG_BEIJING
from tests.web import workspace_client

PASSWORD = "a long enough passphrase"
@contextmanager
def mock_endpoint(config: MockConfig) -> Iterator[str]:
    """The scripted OpenAI-compatible endpoint on a free port; yields its root URL (the API is
    under /v1, the call counter at /_mock/stats)."""
    loop = asyncio.new_event_loop()
    ready: list[int] = []
    runner = web.AppRunner(MockEndpoint(config).app(), access_log=None, handle_signals=False)

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        ready.append(runner.addresses[0][1])

    thread = threading.Thread(target=loop.run_forever, name="mock-endpoint", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield f"http://127.0.0.1:{ready[0]}"
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def mock_stats(root: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(root + "/_mock/stats").json()
    return stats


@contextmanager
def live_server(app: FastAPI) -> Iterator[str]:
    """The app under uvicorn (its lifespan included: the runner resumes at start-up and shuts
    down at the end)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the web server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(60)
        sock.close()


class Browser(workspace_client.Browser):
    """The workspace's test browser over real HTTP; a refused login fails the test here."""

    def login(self, email: str, password: str = PASSWORD) -> httpx.Response:
        resp: httpx.Response = super().login(email, password)
        assert resp.status_code == 303, resp.text
        return resp


@dataclass
class Office:
    """One organisation and an account per role, with their actors."""

    db: Engine
    store: MaterialStore
    org: str
    provider: Actor
    reviewer: Actor
    assessor: Actor
    other_assessor: Actor
    central: Actor

    EMAILS: ClassVar[dict[str, str]] = {"provider": "p@bj.cn", "reviewer": "r@bj.gov.cn", "assessor": "a@tc260.cn",
              "other_assessor": "a2@tc260.cn", "central": "c@cac.gov.cn"}

    def app(self) -> FastAPI:
        app = create_app(self.db)
        app.dependency_overrides[material_store] = lambda: self.store
        return app

    def filing_in_assessment(self, base_url: str, *, previous: str | None = None) -> Filing:
        """A complete filing (or a change filing of ``previous``) forwarded to technical
        assessment, its endpoint at ``base_url``."""
        form = dict(FILING_FORM, endpoint={"base_url": base_url, "model": "mock"})
        if previous is None:
            f = filing_service.create_draft(self.db, actor=self.provider, kind="filing", form=form)
        else:
            f = filing_service.open_change_filing(self.db, actor=self.provider, previous_filing_id=previous)
            f = filing_service.update_draft(self.db, actor=self.provider, filing_id=f.id,
                                            changes={"endpoint": form["endpoint"]})
        for mtype, (name, content) in MATERIAL_FILES.items():
            filing_service.upload_material(self.db, actor=self.provider, filing_id=f.id, material_type=mtype,
                                           filename=name, content=content, store=self.store)
        review.advance(self.db, actor=self.provider, filing_id=f.id, event="submit")
        review.advance(self.db, actor=self.reviewer, filing_id=f.id, event="start_provincial_review")
        return review.advance(self.db, actor=self.reviewer, filing_id=f.id, event="forward")


def make_office(db: Engine, tmp_path: Path) -> Office:
    org = accounts.create_organisation(db, actor=ADMIN, data=ORG_BEIJING)
    users = {}
    for key, role, extra in [("provider", "provider", {"organisation": org.id}),
                             ("reviewer", "provincial_reviewer", {"province": BEIJING}),
                             ("assessor", "assessor", {}), ("other_assessor", "assessor", {}),
                             ("central", "central_reviewer", {})]:
        user = accounts.create_user(db, actor=ADMIN, email=Office.EMAILS[key], role=role, password=PASSWORD,
                                    **extra)
        users[key] = accounts.actor_for(user)
    return Office(db=db, store=MaterialStore(tmp_path / "materials"), org=org.id, **users)
