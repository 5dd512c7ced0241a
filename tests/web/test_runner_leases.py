"""Leases on assessment runs: several processes share a database (``clearance serve --workers
N``) and each run executes in exactly one of them; a process killed mid-run has its runs taken
over by a surviving process's sweep, without a restart. Runners here use leases of a second or
a few, so expiry and takeover happen within a test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text, update

from clearance.adapters.bankfiles import load_bank_set, starter_banks_dir
from clearance.adapters.db import runs as runs_repo
from clearance.adapters.db.tables import runs
from clearance.adapters.endpoints.mock import MockConfig, prompt_key
from clearance.domain.banks import BankSet
from clearance.domain.plan import quick_plan
from clearance.services import filing_assessment, review
from clearance.services.assessment_runner import AssessmentRunner
from clearance.services.errors import InvalidInput
from tests.web.assessment_fixtures import Office, make_office, mock_endpoint, mock_stats

ITEMS = 100  # the quick plan's
SHORT = {"lease_seconds": 1.5, "renew_seconds": 0.2, "sweep_seconds": 0.25}


@lru_cache(maxsize=1)
def _banks() -> BankSet:
    return load_bank_set(starter_banks_dir())


@pytest.fixture
def office(db: Engine, tmp_path: Path) -> Office:
    return make_office(db, tmp_path)


@pytest.fixture
def runners(db: Engine) -> Iterator[Callable[..., AssessmentRunner]]:
    """Makes runners (processes, as far as leases can tell) and shuts them all down at the end."""
    made: list[AssessmentRunner] = []

    def make(**kw: Any) -> AssessmentRunner:
        runner = AssessmentRunner(db, **{**SHORT, **kw})
        made.append(runner)
        return runner

    yield make
    for r in made:
        r.shutdown()


def _scheduled(office: Office, mock: str) -> tuple[str, str]:
    """A filing in technical assessment with a quick-plan run scheduled and not started."""
    f = office.filing_in_assessment(mock + "/v1")
    run_id = review.schedule_assessment(office.db, actor=office.assessor, filing_id=f.id, plan=quick_plan(),
                                        banks=_banks())
    return f.id, run_id


def _until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.05)


def _done(db: Engine, run_id: str) -> int:
    return runs_repo.item_counts(db, run_id).get("done", 0)


def _completed(db: Engine, run_id: str) -> bool:
    return runs_repo.get_run(db, run_id).status == "completed"


def _set_lease(db: Engine, run_id: str, owner: str | None, until: datetime | None) -> None:
    with db.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(lease_owner=owner, lease_until=until))


def _bare_run(db: Engine, run_id: str = "r-lease") -> str:
    runs_repo.create_run(db, run_id=run_id, plan={}, endpoint={}, banks=[], seed=0, items=[],
                         software_version="test")
    return run_id


# --- the repository ---------------------------------------------------------------------------------

def test_claim_is_atomic_exactly_one_of_many_racing_owners_wins(db: Engine) -> None:
    run_id = _bare_run(db)
    now = datetime.now(UTC)
    n = 12
    barrier = threading.Barrier(n)
    won: dict[str, bool] = {}

    def race(owner: str) -> None:
        barrier.wait()
        won[owner] = runs_repo.claim(db, run_id, owner, now + timedelta(seconds=60), now)

    threads = [threading.Thread(target=race, args=(f"host:{i}:x",)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    winners = [o for o, ok in won.items() if ok]
    assert len(won) == n and len(winners) == 1, won
    assert runs_repo.get_run(db, run_id).lease_owner == winners[0]


def test_claim_renew_and_release_follow_the_lease(db: Engine) -> None:
    run_id = _bare_run(db)
    t0 = datetime.now(UTC)
    minute = timedelta(seconds=60)
    assert runs_repo.claim(db, run_id, "a", t0 + minute, t0)
    assert runs_repo.claim(db, run_id, "a", t0 + 2 * minute, t0)          # the holder again
    assert not runs_repo.claim(db, run_id, "b", t0 + minute, t0 + minute)  # held until t0 + 2 min
    assert not runs_repo.renew(db, run_id, "b", t0 + minute)
    assert not runs_repo.release(db, run_id, "b")
    assert runs_repo.renew(db, run_id, "a", t0 + 3 * minute)
    run = runs_repo.get_run(db, run_id)
    assert run.lease_owner == "a" and run.lease_until == t0 + 3 * minute
    assert run.leased_by_other("b", t0) and not run.leased_by_other("a", t0)
    # "a" stopped renewing: after the lease's end anyone may take the run over
    later = t0 + 3 * minute + timedelta(microseconds=1)
    assert runs_repo.get_run(db, run_id).lease_expired(later)
    assert runs_repo.claim(db, run_id, "b", later + minute, later)
    assert not runs_repo.renew(db, run_id, "a", later + minute)  # "a" learns it lost the run
    assert not runs_repo.release(db, run_id, "a")
    assert runs_repo.release(db, run_id, "b")
    run = runs_repo.get_run(db, run_id)
    assert run.lease_owner is None and run.lease_until is None
    assert runs_repo.claim(db, run_id, "c", t0 + minute, t0)
    assert not runs_repo.claim(db, "no-such-run", "c", t0 + minute, t0)


# --- runners sharing a database ---------------------------------------------------------------------

def test_two_runners_resuming_the_same_run_send_each_item_once(
        office: Office, runners: Callable[..., AssessmentRunner]) -> None:
    # 100 items at 16 at a time, 450 ms each: about 3 s, two leases long, so the run lives on
    # renewals while the other runner's sweep keeps trying to take it
    with mock_endpoint(MockConfig(mode="comply", latency_ms=450)) as mock:
        fid, run_id = _scheduled(office, mock)
        a, b = runners(), runners()
        barrier = threading.Barrier(2)
        resumed: dict[str, list[str]] = {}

        def resume(name: str, runner: AssessmentRunner) -> None:
            barrier.wait()
            resumed[name] = runner.resume_unfinished()
            runner.start_sweeping()

        threads = [threading.Thread(target=resume, args=item) for item in (("a", a), ("b", b))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert sorted(resumed["a"] + resumed["b"]) == [run_id], resumed
        winner, loser = (a, b) if resumed["a"] else (b, a)
        assert not loser.start(run_id) and not loser.is_running(run_id)

        # the other process's pages: progress from the stored counts, no Resume, no new schedule
        _until(lambda: _done(office.db, run_id) >= 16, "some results are stored")
        view = filing_assessment.progress(office.db, loser, actor=office.assessor, filing_id=fid)
        assert view.status == "running" and not view.live and not view.can_resume
        assert 16 <= view.done < ITEMS and view.total == ITEMS
        with pytest.raises(InvalidInput):
            filing_assessment.resume(office.db, loser, actor=office.assessor, filing_id=fid)
        with pytest.raises(InvalidInput):
            filing_assessment.schedule(office.db, loser, actor=office.assessor, filing_id=fid, plan="quick")

        final = winner.join(run_id, timeout=60)
        assert final is not None and final.status == "completed", final
        time.sleep(3 * SHORT["sweep_seconds"])  # a late sweep of the loser would send items again
        stats = mock_stats(mock)
        assert stats["total"] == ITEMS and max(stats["calls"].values()) == 1
        assert not loser.is_running(run_id) and loser.progress(run_id) is None
        run = runs_repo.get_run(office.db, run_id)
        assert run.status == "completed" and run.lease_owner is None and run.lease_until is None
        view = filing_assessment.progress(office.db, loser, actor=office.assessor, filing_id=fid)
        assert view.status == "completed" and view.done == ITEMS


def test_a_runner_never_starts_a_run_another_owner_holds_and_the_sweep_takes_it_once_expired(
        office: Office, runners: Callable[..., AssessmentRunner]) -> None:
    with mock_endpoint(MockConfig(mode="comply")) as mock:
        fid, run_id = _scheduled(office, mock)
        # a process on another host claimed it and stored it as running
        runs_repo.mark(office.db, run_id, status="running", started=True)
        _set_lease(office.db, run_id, "other-host:4242:cafe", datetime.now(UTC) + timedelta(hours=1))
        runner = runners()
        assert not runner.start(run_id)
        assert runner.resume_unfinished() == [] and runner.sweep() == []
        runner.start_sweeping()
        time.sleep(4 * SHORT["sweep_seconds"])
        assert mock_stats(mock)["total"] == 0 and not runner.is_running(run_id)
        assert runs_repo.get_run(office.db, run_id).lease_owner == "other-host:4242:cafe"
        view = filing_assessment.progress(office.db, runner, actor=office.assessor, filing_id=fid)
        assert view.status == "running" and not view.live and not view.can_resume

        # that process died: its lease ran out; the sweep takes the run over, no restart needed
        _set_lease(office.db, run_id, "other-host:4242:cafe", datetime.now(UTC) - timedelta(seconds=1))
        _until(lambda: runner.is_running(run_id) or _completed(office.db, run_id), "the sweep takes the run over")
        final = runner.join(run_id, timeout=60)
        assert final is not None and final.status == "completed", final
        assert mock_stats(mock)["total"] == ITEMS
        run = runs_repo.get_run(office.db, run_id)
        assert run.status == "completed" and run.lease_owner is None


def test_a_dead_process_shows_as_interrupted_and_can_be_resumed_by_hand(
        office: Office, runners: Callable[..., AssessmentRunner]) -> None:
    with mock_endpoint(MockConfig(mode="comply")) as mock:
        fid, run_id = _scheduled(office, mock)
        runs_repo.mark(office.db, run_id, status="running", started=True)
        _set_lease(office.db, run_id, "dead-host:1:dead", datetime.now(UTC) - timedelta(seconds=5))
        runner = runners()  # not sweeping: the Resume button does it
        view = filing_assessment.progress(office.db, runner, actor=office.assessor, filing_id=fid)
        assert view.status == "interrupted" and view.can_resume
        assert filing_assessment.resume(office.db, runner, actor=office.assessor, filing_id=fid) == run_id
        final = runner.join(run_id, timeout=60)
        assert final is not None and final.status == "completed"
        assert mock_stats(mock)["total"] == ITEMS


def test_a_runner_whose_lease_was_taken_over_stops_the_run(
        office: Office, runners: Callable[..., AssessmentRunner]) -> None:
    with mock_endpoint(MockConfig(mode="comply", latency_ms=300)) as mock:
        _fid, run_id = _scheduled(office, mock)
        runner = runners()
        assert runner.start(run_id)
        _until(lambda: _done(office.db, run_id) >= 16, "some results are stored")
        # as if its renewals had failed past the lease's end and another process had claimed it
        _set_lease(office.db, run_id, "thief:1:x", datetime.now(UTC) + timedelta(hours=1))
        final = runner.join(run_id, timeout=10)
        assert final is not None and final.status == "interrupted", final
        assert final.error == "taken over by another process"
        assert mock_stats(mock)["total"] < ITEMS
        assert runs_repo.get_run(office.db, run_id).lease_owner == "thief:1:x"  # not released by the loser


# --- a real crash: a process killed with SIGKILL -------------------------------------------------

WORKER = """
import sys, time
from sqlalchemy import create_engine
from clearance.adapters.db.engine import make_engine
from clearance.services.assessment_runner import AssessmentRunner

url, schema, run_id = sys.argv[1:4]
db = make_engine(url) if not schema else create_engine(url, connect_args={"options": f"-csearch_path={schema}"})
runner = AssessmentRunner(db, lease_seconds=3.0, renew_seconds=0.5)
assert runner.start(run_id)
print(runner.owner, flush=True)
time.sleep(600)
"""


def _worker_args(db: Engine) -> tuple[str, str]:
    url = db.url.render_as_string(hide_password=False)
    if db.dialect.name == "sqlite":
        return url, ""
    with db.connect() as conn:
        return url, str(conn.execute(text("select current_schema()")).scalar_one())


def test_the_runs_of_a_killed_process_are_taken_over_by_a_surviving_one(
        office: Office, runners: Callable[..., AssessmentRunner]) -> None:
    with mock_endpoint(MockConfig(mode="comply", latency_ms=300)) as mock:
        fid, run_id = _scheduled(office, mock)
        url, schema = _worker_args(office.db)
        proc = subprocess.Popen([sys.executable, "-c", WORKER, url, schema, run_id], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True, cwd=Path(__file__).parents[2])
        try:
            assert proc.stdout is not None
            dead_owner = proc.stdout.readline().strip()
            assert f":{proc.pid}:" in dead_owner, dead_owner  # host:pid:random
            _until(lambda: _done(office.db, run_id) >= 16, "the other process stores results")
        finally:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        stored = runs_repo.load_items(office.db, run_id, statuses=["done"])
        before = mock_stats(mock)

        survivor = runners(sweep_seconds=0.25)
        run = runs_repo.get_run(office.db, run_id)
        assert run.status == "running" and run.lease_owner == dead_owner
        # its lease (3 s, renewed every 0.5 s) is still running: nobody may take the run yet
        assert survivor.resume_unfinished() == []
        survivor.start_sweeping()
        _until(lambda: survivor.is_running(run_id) or _completed(office.db, run_id), "the sweep takes the run over")
        final = survivor.join(run_id, timeout=60)
        assert final is not None and final.status == "completed", final
        after = mock_stats(mock)
        run = runs_repo.get_run(office.db, run_id)
        assert run.lease_owner is None and _done(office.db, run_id) == ITEMS
        # what the dead process stored was not sent again; what it had in flight was
        for s in stored:
            assert after["calls"][prompt_key(s.item.prompt)] == before["calls"][prompt_key(s.item.prompt)]
        assert after["total"] - before["total"] == ITEMS - len(stored)
        view = filing_assessment.progress(office.db, survivor, actor=office.assessor, filing_id=fid)
        assert view.status == "completed"
