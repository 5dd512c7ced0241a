"""`clearance assess resume` and the API hold the run's lease like the web runner: a run another
live process executes is refused, and the lease is released afterwards."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from clearance.adapters.db import runs as runs_repo
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.plan import quick_plan
from clearance.services import assessments
from clearance.services.run_lease import RunLeased, holding


def _run(db: Engine, fixture_banks: object) -> str:
    cfg = EndpointConfig(base_url="http://127.0.0.1:9/v1", model="m")
    return assessments.schedule(db, plan=quick_plan(), endpoint=cfg, banks=fixture_banks).id  # type: ignore[arg-type]


def test_a_run_leased_by_another_live_process_is_refused(db: Engine, fixture_banks: object) -> None:
    run_id = _run(db, fixture_banks)
    now = datetime.now(UTC)
    assert runs_repo.claim(db, run_id, "web:1", now + timedelta(minutes=1), now)

    async def go() -> None:
        async with holding(db, run_id, "cli:2"):
            pytest.fail("entered a leased run")

    with pytest.raises(RunLeased, match="another process"):
        asyncio.run(go())


def test_the_lease_is_held_while_working_and_released_after(db: Engine, fixture_banks: object) -> None:
    run_id = _run(db, fixture_banks)
    seen: list[str | None] = []

    async def go() -> None:
        async with holding(db, run_id, "cli:2", lease=timedelta(seconds=0.6)):
            await asyncio.sleep(0.5)  # past one renewal (every lease/3)
            seen.append(runs_repo.get_run(db, run_id).lease_owner)

    asyncio.run(go())
    assert seen == ["cli:2"]
    assert runs_repo.get_run(db, run_id).lease_owner is None
