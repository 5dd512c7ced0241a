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

One web process per database should run assessments: two processes resuming the same run
would both send its pending items.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

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


class AssessmentRunner:
    def __init__(self, db: Engine, *, endpoint_factory: assessments.EndpointFactory | None = None) -> None:
        self.db = db
        self._factory = endpoint_factory
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._futures: dict[str, concurrent.futures.Future[None]] = {}
        self._live: dict[str, _Live] = {}
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
        executing it. Safe to call from any thread."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the assessment runner has been shut down")
            current = self._futures.get(run_id)
            if current is not None and not current.done():
                return False
            live = _Live(run_id)
            self._live[run_id] = live
            fut = asyncio.run_coroutine_threadsafe(self._execute(live), self._ensure_loop())
            self._futures[run_id] = fut
        return True

    def is_running(self, run_id: str) -> bool:
        fut = self._futures.get(run_id)
        return fut is not None and not fut.done()

    def progress(self, run_id: str) -> RunProgress | None:
        """Live progress of a run this runner started, else None (read the database then)."""
        live = self._live.get(run_id)
        return None if live is None else live.snapshot()

    def resume_unfinished(self) -> list[str]:
        """Start again the runs of filings in technical assessment that have not completed
        (stopped by a shutdown, killed with the process, or never started). Returns their ids."""
        with self.db.connect() as conn:
            waiting = filing_repo.list_filings(conn, ListScope(), State.TECHNICAL_ASSESSMENT)
        started = []
        for f in waiting:
            if f.assessment_run_id is None or f.assessment_signed_by is not None:
                continue
            try:
                run = runs_repo.get_run(self.db, f.assessment_run_id)
            except runs_repo.RunNotFound:
                log.warning("filing %s names a missing assessment run %s", f.id, f.assessment_run_id)
                continue
            if run.status != COMPLETED and self.start(run.id):
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
        has and marks the run interrupted. Waits up to ``timeout`` seconds for that."""
        with self._lock:
            self._closed = True
            futures = [f for f in self._futures.values() if not f.done()]
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

    async def _execute(self, live: _Live) -> None:
        try:
            record = await asyncio.to_thread(runs_repo.get_run, self.db, live.run_id)
            live.begin(record.total_items, await asyncio.to_thread(runs_repo.item_counts, self.db, live.run_id))
            if self._factory is None:
                await assessments.execute_run(self.db, live.run_id, on_progress=live.update)
            else:
                await assessments.execute_run(self.db, live.run_id, on_progress=live.update,
                                              endpoint_factory=self._factory)
        except asyncio.CancelledError:
            live.status = INTERRUPTED
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
            live.finished_at = datetime.now(UTC)
