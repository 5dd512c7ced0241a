"""The cast of the access and bad-input tests: one real account per role (created when first
needed: hashing a password takes a fifth of a second), two organisations in two provinces and
filings in known states, all through the services; browsers log in through the real /login form
and API clients use tokens from services.accounts.create_token."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select

from clearance.adapters import passwords
from clearance.adapters.db.tables_filings import (
    api_tokens,
    audit_events,
    filings,
    materials,
    organisations,
    users,
    web_sessions,
)
from clearance.adapters.material_store import MaterialStore
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor, Role
from clearance.interfaces.web.app import create_app
from clearance.interfaces.web.filings.api import material_store
from clearance.services import accounts
from tests.filings.conftest import ADMIN, BEIJING, ORG_BEIJING, ORG_SHANGHAI, SHANGHAI, World
from tests.filings.flows import draft, to_provincial_review
from tests.web.workspace_client import Browser

PASSWORD = "a long enough passphrase"
READ_WRITE = ["filings:read", "filings:write"]

# role key -> (email, role, what the role needs)
PEOPLE: dict[str, tuple[str, str, str | None]] = {
    "provider_a": ("p@bj.example.cn", "provider", "org_a"),
    "provider_b": ("p@sh.example.cn", "provider", "org_b"),
    "reviewer_a": ("r@bj.gov.cn", "provincial_reviewer", BEIJING),
    "reviewer_b": ("r@sh.gov.cn", "provincial_reviewer", SHANGHAI),
    "assessor": ("a@tc260.example.cn", "assessor", None),
    "central": ("c@cac.gov.cn", "central_reviewer", None),
    "admin": ("x@cac.gov.cn", "admin", None),
}


def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the smallest parameters for the test's duration: these tests are about who
    may do what, not about the hash (tests/filings/test_accounts.py checks that), and the real
    parameters cost a fifth of a second per account and per login."""
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))


def random_filing_id() -> str:
    return "fil_" + secrets.token_hex(8)


@dataclass
class Cast:
    db: Engine
    app: FastAPI
    store: MaterialStore
    org_a: str
    org_b: str
    actors: dict[str, Actor] = field(default_factory=dict)
    _browsers: dict[str, Browser] = field(default_factory=dict)
    _tokens: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict)

    def actor(self, key: str) -> Actor:
        """The role's account, created on first use."""
        if key not in self.actors:
            email, role, needs = PEOPLE[key]
            extra = {"organisation": {"org_a": self.org_a, "org_b": self.org_b}[needs]} if role == "provider" \
                else {"province": needs} if role == "provincial_reviewer" else {}
            user = accounts.create_user(self.db, actor=ADMIN, email=email, role=role, password=PASSWORD,
                                        **extra)  # type: ignore[arg-type]
            self.actors[key] = accounts.actor_for(user)
        return self.actors[key]

    def browser(self, key: str | None) -> Browser:
        """A browser logged in as the role (None: nobody logged in)."""
        if key is None:
            return Browser(self.app)
        if key not in self._browsers:
            self.actor(key)
            b = Browser(self.app)
            resp = b.login(PEOPLE[key][0], PASSWORD)
            assert resp.status_code == 303, resp.text
            self._browsers[key] = b
        return self._browsers[key]

    def api(self, key: str | None, scopes: list[str] | None = None) -> TestClient:
        """An API client with the role's token (None: no Authorization header)."""
        c = TestClient(self.app, follow_redirects=False)
        if key is None:
            return c
        wanted = tuple(sorted(scopes or READ_WRITE))
        if (key, wanted) not in self._tokens:
            text, _ = accounts.create_token(self.db, actor=self.actor(key), name="tests", scopes=list(wanted))
            self._tokens[(key, wanted)] = text
        c.headers["Authorization"] = f"Bearer {self._tokens[(key, wanted)]}"
        return c

    def service_world(self, side: str = "a") -> World:
        """The filing flows' World for side a (Beijing) or b (Shanghai), with actors that are not
        accounts: filings are set up through the services without paying for password hashes of
        accounts the test never logs in with."""
        org = self.org_a if side == "a" else self.org_b
        province = BEIJING if side == "a" else SHANGHAI
        return World(db=self.db, store=self.store, org=org, other_org=org,
                     provider=Actor(f"usr_setup_p{side}", Role.PROVIDER, organisation=org),
                     other_provider=Actor("usr_setup_x", Role.PROVIDER, organisation=org),
                     reviewer=Actor(f"usr_setup_r{side}", Role.PROVINCIAL_REVIEWER, province=province),
                     other_reviewer=Actor("usr_setup_y", Role.PROVINCIAL_REVIEWER, province=province),
                     assessor=Actor("usr_setup_a", Role.ASSESSOR),
                     central=Actor("usr_setup_c", Role.CENTRAL_REVIEWER),
                     admin=Actor("usr_setup_x", Role.ADMIN))

    def draft(self, side: str = "a") -> Filing:
        return draft(self.service_world(side))

    def in_review(self, side: str = "a") -> Filing:
        return to_provincial_review(self.service_world(side))


def build(db: Engine, tmp_path: Path) -> Cast:
    a = accounts.create_organisation(db, actor=ADMIN, data=ORG_BEIJING)
    b = accounts.create_organisation(db, actor=ADMIN, data=ORG_SHANGHAI)
    store = MaterialStore(tmp_path / "materials")
    app = create_app(db, cache_check_interval=0.0)
    # materials go to the test's temporary store, never to the user's CLEARANCE_HOME
    app.dependency_overrides[material_store] = lambda: store
    return Cast(db=db, app=app, store=store, org_a=a.id, org_b=b.id)


def state_of(c: Cast) -> tuple[Any, ...]:
    """Everything a refused request must leave alone: filings, materials, accounts, tokens,
    organisations, the audit log and the stored files. Sessions are left out: logging in makes
    one, and what is compared is what a refused form or call might have changed."""
    with c.db.connect() as conn:
        rows = tuple(tuple(r) for r in conn.execute(select(filings).order_by(filings.c.id)).all())
        counts = tuple(conn.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (materials, users, api_tokens, organisations, audit_events))
        user_rows = tuple(tuple(r) for r in conn.execute(select(users.c.id, users.c.role, users.c.province,
                                                                users.c.organisation_id, users.c.active)
                                                         .order_by(users.c.id)).all())
    files = sorted(str(p) for p in c.store.root.rglob("*") if p.is_file()) if c.store.root.exists() else []
    return rows, counts, user_rows, tuple(files)


def sessions(c: Cast) -> int:
    with c.db.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(web_sessions)).scalar_one())
