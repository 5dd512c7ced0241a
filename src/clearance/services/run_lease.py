"""A run's lease held by code outside the web runner — `clearance assess resume` and the Python
API — so a run the web app (or another terminal) is executing is not executed twice.

The same lease as AssessmentRunner's: claimed with one conditional UPDATE, renewed while the
run executes, released at the end; a lease found taken over stops the run here."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from clearance.adapters.db import runs as runs_repo

log = logging.getLogger("clearance.lease")
LEASE = timedelta(seconds=60)


class RunLeased(RuntimeError):
    """Another live process executes the run."""


@contextlib.asynccontextmanager
async def holding(db: Engine, run_id: str, owner: str, lease: timedelta = LEASE) -> AsyncIterator[None]:
    now = datetime.now(UTC)
    if not await asyncio.to_thread(runs_repo.claim, db, run_id, owner, now + lease, now):
        run = runs_repo.get_run(db, run_id)
        raise RunLeased(f"run {run_id} is executing in another process ({run.lease_owner}, lease until "
                        f"{run.lease_until:%H:%M:%S} UTC); wait for it, or resume it from there")
    me = asyncio.current_task()
    stop = asyncio.Event()

    async def keep() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), lease.total_seconds() / 3)
                return
            try:
                held = await asyncio.to_thread(runs_repo.renew, db, run_id, owner, datetime.now(UTC) + lease)
            except Exception:  # the database may be away for a moment; the lease has time left
                log.exception("could not renew the lease of run %s", run_id)
                continue
            if not held and me is not None:
                log.error("run %s was taken over by another process; stopping here", run_id)
                me.cancel()
                return

    keeper = asyncio.create_task(keep())
    try:
        yield
    finally:
        stop.set()
        await keeper
        await asyncio.to_thread(runs_repo.release, db, run_id, owner)
