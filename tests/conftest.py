"""Shared fixtures. Database tests run on SQLite and on PostgreSQL.

PostgreSQL: CLEARANCE_TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test).
When it is unreachable the PostgreSQL cases are skipped, unless CLEARANCE_REQUIRE_POSTGRES=1
(set by .ci/run), where they fail: CI must not go green by skipping half the suite.
Each xdist worker gets its own schema, dropped and recreated per test; two test runs on one
machine at once (several people, or parallel agents) keep apart by setting distinct
CLEARANCE_TEST_SCHEMA_PREFIX values.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from clearance.adapters.db.engine import make_engine, upgrade

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_BANKS = FIXTURES / "banks"
PG_URL = os.environ.get("CLEARANCE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def _pg_engine(worker: str) -> Engine:
    schema = f"t_{os.environ.get('CLEARANCE_TEST_SCHEMA_PREFIX', '')}{worker}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    from sqlalchemy import create_engine

    return create_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}, pool_pre_ping=True)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path, worker_id: str) -> Iterator[Engine]:
    if request.param == "sqlite":
        eng = make_engine(f"sqlite:///{tmp_path / 'test.db'}")
    else:
        try:
            eng = _pg_engine(worker_id)
            with eng.connect() as c:
                c.execute(text("select 1"))
        except Exception as exc:  # pragma: no cover - depends on the machine
            if os.environ.get("CLEARANCE_REQUIRE_POSTGRES") == "1":
                pytest.fail(f"PostgreSQL required but unreachable at {PG_URL}: {exc}")
            pytest.skip(f"PostgreSQL unreachable: {exc}")
    upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def fixture_banks():  # type: ignore[no-untyped-def]
    from clearance.adapters.bankfiles import load_bank_set

    return load_bank_set(FIXTURE_BANKS)


@pytest.fixture(scope="session")
def worker_id(request: pytest.FixtureRequest) -> str:
    return str(getattr(request.config, "workerinput", {}).get("workerid", "main"))
