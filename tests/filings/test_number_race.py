"""Two first approvals of a day at the same instant: both succeed, with distinct numbers.

The per-day counter row is created by the first number of the day; two transactions that both
found no row used to both insert it, and the second failed on the primary key. The repository
test drives the counter directly from two transactions (no audit-head lock in between, which
is where the race showed); the service test runs two real approvals on two threads."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine

from clearance.adapters.db import filings as repo
from clearance.domain.banks import BankSet
from clearance.domain.filings.workflow import FilingKind, State
from clearance.services import review
from tests.filings.conftest import World
from tests.filings.flows import to_central_review

DAY = date(2026, 11, 27)


def _together(*jobs: Callable[[threading.Barrier], Any]) -> list[Any]:
    """Run each job on its own thread, released at once by a shared barrier; each job's result
    or the exception it raised."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(i: int) -> None:
        try:
            results[i] = jobs[i](barrier)
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


def test_two_first_numbers_of_a_day_from_concurrent_transactions(db: Engine) -> None:
    def take(barrier: threading.Barrier) -> int:
        with db.begin() as conn:
            barrier.wait()
            n = repo.next_sequence(conn, FilingKind.FILING, DAY)
            time.sleep(0.2)  # hold the transaction open while the other one inserts
            return n

    results = _together(take, take)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(results) == [1, 2]
    with db.begin() as conn:  # the counter goes on from there; another kind counts apart
        assert repo.next_sequence(conn, FilingKind.FILING, DAY) == 3
        assert repo.next_sequence(conn, FilingKind.REGISTRATION, DAY) == 1


def test_a_rolled_back_number_is_not_used_up(db: Engine) -> None:
    class Undo(Exception):
        pass

    try:
        with db.begin() as conn:
            assert repo.next_sequence(conn, FilingKind.FILING, DAY) == 1
            raise Undo
    except Undo:
        pass
    with db.begin() as conn:
        assert repo.next_sequence(conn, FilingKind.FILING, DAY) == 1


def test_two_concurrent_first_approvals_get_distinct_numbers(world: World, fixture_banks: BankSet) -> None:
    w = world
    first, second = to_central_review(w, fixture_banks), to_central_review(w, fixture_banks)
    at = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)  # the same instant for both

    def approve(filing_id: str) -> Callable[[threading.Barrier], Any]:
        def work(barrier: threading.Barrier) -> Any:
            barrier.wait()
            return review.advance(w.db, actor=w.central, filing_id=filing_id, event="approve", now=at)
        return work

    results = _together(approve(first.id), approve(second.id))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert {r.state for r in results} == {State.APPROVED}
    assert sorted(r.number[-4:] for r in results) == ["0001", "0002"]
    assert {r.number[:-4] for r in results} == {"Beijing-YunQueChat-20261127"}

