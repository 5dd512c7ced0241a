"""Repository for assessment runs and their items (SQLAlchemy Core: the item writes are the
hot path, so they are batched executemany statements, not ORM units of work)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import Engine, bindparam, func, insert, or_, select, update

from clearance.adapters.db.tables import bank_versions, run_items, runs
from clearance.domain.banks import Bank, KeywordLibrary
from clearance.domain.results import ItemResult, RunItem, StoredItem


class RunNotFound(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class RunRecord:
    id: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    status: str
    plan: dict[str, Any]
    endpoint: dict[str, Any]
    banks: list[dict[str, Any]]
    seed: int
    total_items: int
    active_seconds: float
    software_version: str
    report_sha256: str | None
    decision: str | None
    label: str | None
    lease_owner: str | None = None     # the process executing the run (see claim)
    lease_until: datetime | None = None

    def leased_by_other(self, owner: str, now: datetime) -> bool:
        """Whether a process other than ``owner`` holds a live lease on the run."""
        return (self.lease_owner is not None and self.lease_owner != owner
                and self.lease_until is not None and self.lease_until > now)

    def lease_expired(self, now: datetime) -> bool:
        """Whether the run is leased but its owner stopped renewing (the process died)."""
        return self.lease_owner is not None and (self.lease_until is None or self.lease_until <= now)


def _aware(dt: datetime | None) -> datetime | None:
    # SQLite returns naive datetimes even for timezone=True columns; everything stored is UTC.
    if dt is not None and dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt


def _record(row: Any) -> RunRecord:
    m = row._mapping
    return RunRecord(
        id=m["id"], created_at=_aware(m["created_at"]) or datetime.now(UTC),
        started_at=_aware(m["started_at"]), finished_at=_aware(m["finished_at"]),
        status=m["status"], plan=m["plan"], endpoint=m["endpoint"], banks=m["banks"],
        seed=m["seed"], total_items=m["total_items"], active_seconds=m["active_seconds"] or 0.0,
        software_version=m["software_version"], report_sha256=m["report_sha256"],
        decision=m["decision"], label=m["label"],
        lease_owner=m["lease_owner"], lease_until=_aware(m["lease_until"]),
    )


def save_bank_version(engine: Engine, bank: Bank | KeywordLibrary, kind: str) -> None:
    """Store a bank's exact content under its hash, once (the existence check comes first: a
    17,000-entry keyword library is serialised only the first time)."""
    with engine.begin() as conn:
        exists = conn.execute(select(bank_versions.c.sha256).where(bank_versions.c.sha256 == bank.sha256)).first()
        if exists is None:
            entries = bank.items if isinstance(bank, Bank) else bank.entries
            adapter: TypeAdapter[list[Any]] = TypeAdapter(list[Any])
            rows = adapter.dump_python(list(entries), mode="json", exclude_none=True)
            conn.execute(insert(bank_versions).values(
                sha256=bank.sha256, kind=kind, name=bank.name, size=len(rows), items=rows,
                created_at=datetime.now(UTC)))


def create_run(engine: Engine, *, run_id: str, plan: dict[str, Any], endpoint: dict[str, Any],
               banks: list[dict[str, Any]], seed: int, items: Sequence[RunItem],
               software_version: str, label: str | None = None) -> RunRecord:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        conn.execute(insert(runs).values(
            id=run_id, created_at=now, status="created", plan=plan, endpoint=endpoint, banks=banks,
            seed=seed, total_items=len(items), active_seconds=0.0,
            software_version=software_version, label=label))
        if items:
            conn.execute(insert(run_items), [
                {"run_id": run_id, "item_id": it.item_id, "seq": it.seq, "kind": it.kind,
                 "stratum": it.stratum, "lang": it.lang, "prompt": it.prompt, "system": it.system,
                 "reference": it.reference, "status": "pending", "attempts": 0}
                for it in items])
    return get_run(engine, run_id)


def get_run(engine: Engine, run_id: str) -> RunRecord:
    with engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
    if row is None:
        raise RunNotFound(f"no assessment run {run_id!r}; `clearance assess list` shows the runs")
    return _record(row)


def list_runs(engine: Engine, limit: int = 50) -> list[RunRecord]:
    with engine.connect() as conn:
        rows = conn.execute(select(runs).order_by(runs.c.created_at.desc()).limit(limit)).all()
    return [_record(r) for r in rows]


def item_counts(engine: Engine, run_id: str) -> dict[str, int]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(run_items.c.status, func.count()).where(run_items.c.run_id == run_id)
            .group_by(run_items.c.status)).all()
    return {r[0]: int(r[1]) for r in rows}


def _stored(m: Any) -> StoredItem:
    item = RunItem(item_id=m["item_id"], seq=m["seq"], kind=m["kind"], stratum=m["stratum"],
                   lang=m["lang"], prompt=m["prompt"], system=m["system"], reference=m["reference"])
    if m["status"] == "pending":
        return StoredItem(item, None)
    verdicts = m["verdicts"]
    if isinstance(verdicts, str):
        verdicts = json.loads(verdicts)
    return StoredItem(item, ItemResult(
        item_id=m["item_id"], status=m["status"], response=m["response"],
        finish_reason=m["finish_reason"], latency_ms=m["latency_ms"],
        prompt_tokens=m["prompt_tokens"], completion_tokens=m["completion_tokens"],
        attempts=m["attempts"], error_type=m["error_type"], error=m["error"],
        verdicts=verdicts or {}))


def load_items(engine: Engine, run_id: str, statuses: Iterable[str] | None = None) -> list[StoredItem]:
    q = select(run_items).where(run_items.c.run_id == run_id)
    if statuses is not None:
        q = q.where(run_items.c.status.in_(list(statuses)))
    with engine.connect() as conn:
        rows = conn.execute(q.order_by(run_items.c.seq)).all()
    return [_stored(r._mapping) for r in rows]


_UPDATE_RESULT = (
    update(run_items)
    .where(run_items.c.run_id == bindparam("b_run"), run_items.c.item_id == bindparam("b_item"))
    .values(status=bindparam("status"), response=bindparam("response"),
            finish_reason=bindparam("finish_reason"), latency_ms=bindparam("latency_ms"),
            prompt_tokens=bindparam("prompt_tokens"), completion_tokens=bindparam("completion_tokens"),
            attempts=bindparam("attempts"), error_type=bindparam("error_type"), error=bindparam("error"),
            verdicts=bindparam("verdicts"), completed_at=bindparam("completed_at"))
)


def store_results(engine: Engine, run_id: str, results: Sequence[ItemResult]) -> None:
    """One transaction per batch: either the whole batch is stored or none of it."""
    if not results:
        return
    now = datetime.now(UTC)
    params = [
        {"b_run": run_id, "b_item": r.item_id, "status": r.status, "response": r.response,
         "finish_reason": r.finish_reason, "latency_ms": r.latency_ms,
         "prompt_tokens": r.prompt_tokens, "completion_tokens": r.completion_tokens,
         "attempts": r.attempts, "error_type": r.error_type, "error": r.error,
         "verdicts": r.verdicts, "completed_at": now}
        for r in results
    ]
    with engine.begin() as conn:
        conn.execute(_UPDATE_RESULT, params)


_UPDATE_VERDICTS = (
    update(run_items)
    .where(run_items.c.run_id == bindparam("b_run"), run_items.c.item_id == bindparam("b_item"))
    .values(verdicts=bindparam("verdicts"))
)


def store_verdicts(engine: Engine, run_id: str, verdicts: Sequence[tuple[str, dict[str, Any]]]) -> None:
    if not verdicts:
        return
    with engine.begin() as conn:
        conn.execute(_UPDATE_VERDICTS, [{"b_run": run_id, "b_item": i, "verdicts": v} for i, v in verdicts])


def reset_errors(engine: Engine, run_id: str) -> int:
    """Put errored items back to pending so a resume retries them (on request only)."""
    with engine.begin() as conn:
        res = conn.execute(update(run_items).where(run_items.c.run_id == run_id, run_items.c.status == "error")
                           .values(status="pending", error=None, error_type=None))
    return int(res.rowcount or 0)


def mark(engine: Engine, run_id: str, *, status: str | None = None, started: bool = False,
         finished: bool = False, add_seconds: float = 0.0) -> None:
    values: dict[str, Any] = {}
    now = datetime.now(UTC)
    if status is not None:
        values["status"] = status
    if started:
        values["started_at"] = func.coalesce(runs.c.started_at, now)
    if finished:
        values["finished_at"] = now
    if add_seconds:
        values["active_seconds"] = runs.c.active_seconds + add_seconds
    if values:
        with engine.begin() as conn:
            conn.execute(update(runs).where(runs.c.id == run_id).values(**values))


def set_report(engine: Engine, run_id: str, *, sha256: str, decision: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(report_sha256=sha256, decision=decision))


def update_plan(engine: Engine, run_id: str, plan: dict[str, Any]) -> None:
    with engine.begin() as conn:
        conn.execute(update(runs).where(runs.c.id == run_id).values(plan=plan))


def load_bank_version(engine: Engine, sha256: str) -> tuple[str, list[dict[str, Any]]] | None:
    # ``items`` shadows ColumnCollection.items(), hence the subscript
    with engine.connect() as conn:
        row = conn.execute(select(bank_versions.c.name, bank_versions.c["items"])
                           .where(bank_versions.c.sha256 == sha256)).first()
    return None if row is None else (row[0], row[1])


def find_by_report_sha256(engine: Engine, sha256: str) -> RunRecord | None:
    with engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.report_sha256 == sha256)).first()
    return None if row is None else _record(row)


# --- leases: which process executes a run ----------------------------------------------------------
# Each statement is one conditional UPDATE, so the database decides between processes that
# race for the same run (PostgreSQL re-checks the WHERE clause on the row a concurrent
# transaction just committed; SQLite runs one writer at a time). The caller's clock supplies
# ``now`` and ``until``: the processes sharing a database must agree on the time to well within
# a lease. SQLite compares the stored timestamps as text, which orders correctly because every
# timestamp is written in UTC in the same format.

def claim(engine: Engine, run_id: str, owner: str, until: datetime, now: datetime) -> bool:
    """Take the run's lease until ``until``. Succeeds when nobody holds it, when its lease has
    expired, or when ``owner`` holds it already; False otherwise (and for a missing run)."""
    lease = runs.c.lease_until
    stmt = (update(runs)
            .where(runs.c.id == run_id,
                   or_(runs.c.lease_owner.is_(None), lease.is_(None), lease <= now.astimezone(UTC),
                       runs.c.lease_owner == owner))
            .values(lease_owner=owner, lease_until=until.astimezone(UTC)))
    with engine.begin() as conn:
        res = conn.execute(stmt)
    return res.rowcount == 1


def renew(engine: Engine, run_id: str, owner: str, until: datetime) -> bool:
    """Extend ``owner``'s lease. False when another process has taken the run over (the lease
    had expired), or the lease was released: ``owner`` must then stop executing the run."""
    with engine.begin() as conn:
        res = conn.execute(update(runs).where(runs.c.id == run_id, runs.c.lease_owner == owner)
                           .values(lease_until=until.astimezone(UTC)))
    return res.rowcount == 1


def release(engine: Engine, run_id: str, owner: str) -> bool:
    """Give the lease up; only its owner can (a taken-over lease is not the loser's to drop)."""
    with engine.begin() as conn:
        res = conn.execute(update(runs).where(runs.c.id == run_id, runs.c.lease_owner == owner)
                           .values(lease_owner=None, lease_until=None))
    return res.rowcount == 1
