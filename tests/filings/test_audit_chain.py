"""The stored audit chain: `audit verify` (service and CLI) finds edits and deletions made
directly in the database."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, delete, update
from typer.testing import CliRunner

from clearance.adapters.db.tables_filings import audit_events, audit_head
from clearance.interfaces.cli import admin
from clearance.interfaces.cli.app import app
from clearance.services import audit_log, review
from clearance.services import filings as filing_service
from tests.filings.conftest import World
from tests.filings.flows import draft, snapshot


@pytest.fixture
def logged(world: World) -> World:
    f = draft(world)
    review.advance(world.db, actor=world.provider, filing_id=f.id, event="submit")
    assert audit_log.count(world.db) >= 9
    return world


def _exec(db: Engine, stmt: object) -> None:
    with db.begin() as conn:
        conn.execute(stmt)  # type: ignore[call-overload]


def test_intact_chain_verifies(logged: World) -> None:
    assert audit_log.verify(logged.db) is None
    assert audit_log.verify(logged.db, actor=logged.central) is None


def test_verify_is_for_admins_and_central_reviewers(logged: World) -> None:
    from clearance.domain.policy import Forbidden

    with pytest.raises(Forbidden):
        audit_log.verify(logged.db, actor=logged.provider)


def test_an_edited_event_is_found(logged: World) -> None:
    _exec(logged.db, update(audit_events).where(audit_events.c.seq == 4).values(actor="someone-else"))
    broken = audit_log.verify(logged.db)
    assert broken is not None and broken.seq == 4 and "edited" in broken.problem


def test_an_edited_reason_in_the_json_is_found(logged: World) -> None:
    _exec(logged.db, update(audit_events).where(audit_events.c.seq == 3).values(after={"state": "approved"}))
    broken = audit_log.verify(logged.db)
    assert broken is not None and broken.seq == 3


def test_a_deleted_event_is_found(logged: World) -> None:
    _exec(logged.db, delete(audit_events).where(audit_events.c.seq == 5))
    broken = audit_log.verify(logged.db)
    assert broken is not None and broken.seq == 5 and "deleted" in broken.problem


def test_deleting_the_newest_event_is_found(logged: World) -> None:
    last = audit_log.count(logged.db)
    _exec(logged.db, delete(audit_events).where(audit_events.c.seq == last))
    broken = audit_log.verify(logged.db)
    assert broken is not None and broken.seq == last and "deleted" in broken.problem


def test_rewriting_the_newest_event_with_a_fresh_hash_is_found(logged: World) -> None:
    """Recomputing the hash of the edited last event keeps the chain consistent; the head row
    still remembers the original hash."""
    from clearance.adapters.db.audit_log import iter_events
    from clearance.domain.audit import event_hash

    last = list(iter_events(logged.db))[-1]
    forged = {**last.content(), "actor": "forger"}
    _exec(logged.db, update(audit_events).where(audit_events.c.seq == last.seq)
          .values(actor="forger", hash=event_hash(forged)))
    broken = audit_log.verify(logged.db)
    assert broken is not None and broken.seq == last.seq and "head" in broken.problem


def test_cli_audit_verify(logged: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "db", lambda: logged.db)
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "intact" in ok.output
    _exec(logged.db, delete(audit_events).where(audit_events.c.seq == 2))
    bad = runner.invoke(app, ["audit", "verify", "--json"])
    assert bad.exit_code == 1
    assert '"seq": 2' in bad.output and '"intact": false' in bad.output
    text = runner.invoke(app, ["audit", "verify"])
    assert text.exit_code == 1 and "event 2" in text.output


def test_appending_after_the_head_was_tampered_fails_loudly(logged: World) -> None:
    _exec(logged.db, update(audit_head).values(seq=999))
    before = snapshot(logged.db)
    with pytest.raises(RuntimeError, match="audit verify"):
        filing_service.create_draft(logged.db, actor=logged.provider, kind="filing")
    assert snapshot(logged.db) == before


def test_concurrent_changes_keep_one_unbroken_chain(world: World) -> None:
    """Audited changes from several threads wait for each other instead of failing, and the
    chain stays a single line."""
    from concurrent.futures import ThreadPoolExecutor

    before = audit_log.count(world.db)

    def work(i: int) -> None:
        for j in range(5):
            filing_service.create_draft(world.db, actor=world.provider, kind="filing",
                                        form={"model_name": f"M{i}-{j}"})

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(work, range(4)))
    assert audit_log.count(world.db) == before + 20
    assert audit_log.verify(world.db) is None


def test_two_decisions_on_one_filing_at_once_apply_one(world: World) -> None:
    """Two people withdrawing the same filing at the same moment: one succeeds, the other finds
    it already withdrawn; the state is never decided from a stale read."""
    import threading

    from clearance.domain.filings.workflow import IllegalTransition

    for _ in range(8):
        f = filing_service.create_draft(world.db, actor=world.provider, kind="filing")
        barrier = threading.Barrier(2)
        outcomes: list[str] = []

        def withdraw(fid: str = f.id, b: threading.Barrier = barrier, out: list[str] = outcomes) -> None:
            b.wait()
            try:
                review.advance(world.db, actor=world.provider, filing_id=fid, event="withdraw")
                out.append("ok")
            except IllegalTransition:
                out.append("refused")

        threads = [threading.Thread(target=withdraw) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(outcomes) == ["ok", "refused"]
        assert [e.action for e in filing_service.timeline(world.db, actor=world.provider, filing_id=f.id)].count(
            "filing.withdraw") == 1
    assert audit_log.verify(world.db) is None
