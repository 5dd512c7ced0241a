"""Assessment runs executed inside the web process.

The web app owns one ``AssessmentRunner``. It executes runs with ``assessments.execute_run`` as
asyncio tasks on an event loop of its own, in a background thread: the engine does some
database and judge set-up work synchronously (loading the keyword library, building the report
at the end), which must not stall the loop that serves pages, and a loop of its own also keeps
runs alive independently of how the server (or a test client) runs request handlers.

Live progress (done / total / errors / rate) is kept in memory for the progress page; what is
stored in the database is the truth, and a run survives the runner: ``shutdown`` cancels the
tasks, the engine stores every completed result and marks the run interrupted, and
``resume_unfinished`` (at start-up) continues runs of filings still in technical assessment.
A resumed run sends only the items that have no stored result.

Several processes may share a database (``clearance serve --workers N``): each runner has an
owner id (host:pid:random), and a run executes only in the process holding its lease in the
database (``runs.claim``, one conditional UPDATE, so of two processes racing for a run exactly
one wins). ``start`` claims first and declines a run another live process holds; while the run
executes its lease is renewed every ``renew_seconds``, and it is released when the run ends,
fails or is cancelled. A process that dies (kill -9, a lost machine) stops renewing: once its
lease has expired, the sweep of any surviving runner (every ``sweep_seconds``, started with
``start_sweeping``) takes the run over and resumes it. A runner that finds its lease taken
over (it could not renew in time) stops the run: between the expiry and that renewal attempt
both processes may send items, so the lease must be long against the renewal period. Runs of
other processes show their progress from the stored item counts.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine

from clearance.adapters.db import filings as filing_repo
from clearance.adapters.db import runs as runs_repo
from clearance.domain.filings.workflow import State
from clearance.domain.policy import ListScope
from clearance.services import assessments
from clearance.services.engine import Progress

log = logging.getLogger("clearance.runner")

RUNNING, COMPLETED, INTERRUPTED, FAILED = "running", "completed", "interrupted", "failed"


@dataclass(frozen=True, slots=True)
class RunProgress:
    """A snapshot of a run this runner executes (or executed since it started)."""

    run_id: str
    status: str            # running, completed, interrupted (cancelled) or failed (see error)
    total: int
    done: int              # items with a result, errors included, stored or about to be
    errors: int
    rate: float | None     # items per second since this runner started the run
    started_at: datetime
    finished_at: datetime | None
    error: str | None = None


class _Live:
    """Written by the runner's thread only; read by request threads (plain attribute reads)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.status = RUNNING
        self.started_at = datetime.now(UTC)
        self.finished_at: datetime | None = None
        self.t0 = time.monotonic()
        self.first_done = 0  # items already done when this runner took the run over (resume)
        self.total = 0
        self.done = 0
        self.errors = 0
        self.error: str | None = None

    def begin(self, total: int, counts: dict[str, int]) -> None:
        self.total, self.errors = total, counts.get("error", 0)
        self.done = self.first_done = total - counts.get("pending", 0)

    def update(self, p: Progress) -> None:
        self.total, self.done, self.errors = p.total, p.done, p.errors

    def snapshot(self) -> RunProgress:
        elapsed = time.monotonic() - self.t0
        sent = self.done - self.first_done
        return RunProgress(run_id=self.run_id, status=self.status, total=self.total, done=self.done,
                           errors=self.errors, rate=round(sent / elapsed, 2) if elapsed > 0 and sent else None,
                           started_at=self.started_at, finished_at=self.finished_at, error=self.error)


def owner_id() -> str:
    """This process's name in leases: the host and pid say where a run executes; the random
    part tells apart two runners of one process and a pid reused after a restart."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


class AssessmentRunner:
    def __init__(self, db: Engine, *, endpoint_factory: assessments.EndpointFactory | None = None,
                 lease_seconds: float = 60.0, renew_seconds: float | None = None,
                 sweep_seconds: float | None = None, owner: str | None = None) -> None:
        """``renew_seconds`` defaults to a third of the lease (two renewals may fail before the
        lease lapses), ``sweep_seconds`` to half of it (a dead process's run waits at most one
        and a half leases)."""
        self.db = db
        self._factory = endpoint_factory
        self.owner = owner or owner_id()
        self.lease = timedelta(seconds=lease_seconds)
        self.renew_seconds = lease_seconds / 3 if renew_seconds is None else renew_seconds
        self.sweep_seconds = lease_seconds / 2 if sweep_seconds is None else sweep_seconds
        if not 0 < self.renew_seconds < lease_seconds:
            raise ValueError("the lease must be renewed more often than it lasts")
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._futures: dict[str, concurrent.futures.Future[None]] = {}
        self._live: dict[str, _Live] = {}
        self._sweep: concurrent.futures.Future[None] | None = None
        self._closed = False

    # --- the runner's event loop -----------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def main() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                loop.close()

            self._thread = threading.Thread(target=main, name="assessment-runner", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    # --- public API --------------------------------------------------------------------------
    def start(self, run_id: str) -> bool:
        """Execute (or resume) the run in the background. False when this runner is already
        executing it, or another live process holds its lease (it executes the run there).
        Safe to call from any thread."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the assessment runner has been shut down")
            current = self._futures.get(run_id)
            if current is not None and not current.done():
                return False
            # under the lock: the lease tells processes apart, not two starts in this one
            if not self._claim(run_id):
                return False
            live = _Live(run_id)
            self._live[run_id] = live
            fut = asyncio.run_coroutine_threadsafe(self._execute(live), self._ensure_loop())
            self._futures[run_id] = fut
        return True

    def _claim(self, run_id: str) -> bool:
        now = datetime.now(UTC)
        if runs_repo.claim(self.db, run_id, self.owner, now + self.lease, now):
            return True
        try:
            run = runs_repo.get_run(self.db, run_id)
        except runs_repo.RunNotFound:
            # nothing to lease: the task fails on the missing run and reports it like any failure
            return True
        log.info("assessment run %s is executing in another process (%s, lease until %s)",
                 run_id, run.lease_owner, run.lease_until)
        return False

    def is_running(self, run_id: str) -> bool:
        """Whether this runner executes the run now (``runs_repo.RunRecord.leased_by_other``
        says whether another process does)."""
        fut = self._futures.get(run_id)
        return fut is not None and not fut.done()

    def progress(self, run_id: str) -> RunProgress | None:
        """Live progress of a run this runner started, else None (read the database then)."""
        live = self._live.get(run_id)
        return None if live is None else live.snapshot()

    def resume_unfinished(self) -> list[str]:
        """Start again the runs of filings in technical assessment that have not completed
        (stopped by a shutdown, killed with the process, or never started) and that no other
        live process holds. Returns their ids."""
        return self._resume(expired_only=False)

    def start_sweeping(self) -> None:
        """From now on, every ``sweep_seconds``, take over the unfinished runs whose lease has
        expired: their process died without releasing them. (Unleased runs, stopped by a
        graceful shutdown or a failure, wait for a start-up or the Resume button, so a run that
        fails does not fail again every sweep.)"""
        with self._lock:
            if self._closed:
                raise RuntimeError("the assessment runner has been shut down")
            if self._sweep is None:
                self._sweep = asyncio.run_coroutine_threadsafe(self._sweep_forever(), self._ensure_loop())

    def sweep(self) -> list[str]:
        """One sweep (see ``start_sweeping``). Returns the ids of the runs taken over."""
        return self._resume(expired_only=True)

    def _resume(self, *, expired_only: bool) -> list[str]:
        with self.db.connect() as conn:
            waiting = filing_repo.list_filings(conn, ListScope(), State.TECHNICAL_ASSESSMENT)
        now = datetime.now(UTC)
        started = []
        for f in waiting:
            if f.assessment_run_id is None or f.assessment_signed_by is not None:
                continue
            try:
                run = runs_repo.get_run(self.db, f.assessment_run_id)
            except runs_repo.RunNotFound:
                log.warning("filing %s names a missing assessment run %s", f.id, f.assessment_run_id)
                continue
            if run.status == COMPLETED or (expired_only and not run.lease_expired(now)):
                continue
            # start claims the lease: of several processes resuming at once, one executes the run
            if self.start(run.id):
                if run.lease_owner is not None and run.lease_owner != self.owner:
                    log.warning("taking over assessment run %s of filing %s from %s, whose lease expired at %s",
                                run.id, f.id, run.lease_owner, run.lease_until)
                else:
                    log.info("resuming assessment run %s of filing %s (was %s)", run.id, f.id, run.status)
                started.append(run.id)
        return started

    def join(self, run_id: str, timeout: float | None = None) -> RunProgress | None:
        """Wait until the run's task ends (for the CLI and tests); its final progress."""
        fut = self._futures.get(run_id)
        if fut is not None:
            concurrent.futures.wait([fut], timeout=timeout)
        return self.progress(run_id)

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop every run gracefully: each task is cancelled, the engine stores the results it
        has and marks the run interrupted, and its lease is released. Waits up to ``timeout``
        seconds for that."""
        with self._lock:
            self._closed = True
            futures = [f for f in self._futures.values() if not f.done()]
            if self._sweep is not None:
                futures.append(self._sweep)
            loop = self._loop
        for fut in futures:
            fut.cancel()  # cancels the task on the runner's loop (thread-safe)
        if loop is None:
            return
        pending = asyncio.run_coroutine_threadsafe(self._drain(), loop)
        try:
            pending.result(timeout)
        except concurrent.futures.TimeoutError:
            log.error("assessment runs did not stop within %.0f s; their last results may be sent again "
                      "on resume", timeout)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)

    # --- on the runner's loop ----------------------------------------------------------------
    async def _drain(self) -> None:
        me = asyncio.current_task()
        others = [t for t in asyncio.all_tasks() if t is not me]
        await asyncio.gather(*others, return_exceptions=True)

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.sweep_seconds)
            try:
                await asyncio.to_thread(self.sweep)
            except Exception:
                if self._closed:
                    return  # start refuses runs once the runner is shut down
                # the database may be away for a moment: the next sweep tries again
                log.exception("the sweep for abandoned assessment runs failed; trying again later")

    async def _keep_lease(self, run_id: str, task: asyncio.Task[None], lost: list[bool]) -> None:
        while True:
            await asyncio.sleep(self.renew_seconds)
            until = datetime.now(UTC) + self.lease
            try:
                held = await asyncio.to_thread(runs_repo.renew, self.db, run_id, self.owner, until)
            except Exception:
                # the database may be away for a moment: the run goes on, and if the lease lapses
                # meanwhile and another process takes the run over, the next renewal says so
                log.exception("could not renew the lease of assessment run %s", run_id)
                continue
            if not held:
                log.error("assessment run %s was taken over by another process (this one did not renew its "
                          "lease in time); stopping it here", run_id)
                lost.append(True)
                task.cancel()
                return

    async def _execute(self, live: _Live) -> None:
        keeper: asyncio.Task[None] | None = None
        lost: list[bool] = []
        try:
            record = await asyncio.to_thread(runs_repo.get_run, self.db, live.run_id)
            counts = await asyncio.to_thread(runs_repo.item_counts, self.db, live.run_id)
            live.begin(record.total_items, counts)
            if record.status == COMPLETED:
                # another process finished it between our read of its status and the claim;
                # executing it again would rebuild (and re-hash) its report
                live.status = COMPLETED
                return
            me = asyncio.current_task()
            assert me is not None
            keeper = asyncio.create_task(self._keep_lease(live.run_id, me, lost))
            if self._factory is None:
                await assessments.execute_run(self.db, live.run_id, on_progress=live.update)
            else:
                await assessments.execute_run(self.db, live.run_id, on_progress=live.update,
                                              endpoint_factory=self._factory)
        except asyncio.CancelledError:
            live.status = INTERRUPTED
            if lost:
                live.error = "taken over by another process"
            log.info("assessment run %s interrupted; completed results are stored", live.run_id)
            raise
        except Exception as exc:
            # not swallowed: logged with its traceback and shown on the run's progress page; the
            # engine has marked the run interrupted, so it can be resumed
            live.status = FAILED
            live.error = f"{type(exc).__name__}: {exc}"
            log.exception("assessment run %s failed", live.run_id)
        else:
            live.status = COMPLETED
        finally:
            if keeper is not None:
                keeper.cancel()
            live.finished_at = datetime.now(UTC)
            try:
                await asyncio.to_thread(runs_repo.release, self.db, live.run_id, self.owner)
            except Exception:
                # the lease then simply expires, and a sweep takes the unfinished run over
                log.exception("could not release the lease of assessment run %s", live.run_id)
