"""Repository for the hash-chained audit log. ``append`` runs on the caller's connection, so the
event commits or rolls back with the change it records."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from clearance.adapters.db.tables_filings import audit_events, audit_head
from clearance.domain.audit import GENESIS, AuditEvent, next_event


def _utc(v: datetime) -> datetime:
    # SQLite gives naive datetimes back; PostgreSQL gives them in the session's time zone. The
    # hash covers the ISO text, so every event is read back in UTC.
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


def _event(m: Any) -> AuditEvent:
    return AuditEvent(seq=m["seq"], at=_utc(m["at"]), actor=m["actor"], action=m["action"],
                      object_type=m["object_type"], object_id=m["object_id"], reason=m["reason"],
                      before=m["before"], after=m["after"], prev_hash=m["prev_hash"], hash=m["hash"])


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """A transaction for a change that will be audited. Its first statement takes the audit
    head's write lock, so audited changes are serialised and every read inside sees the state
    the change is applied to: on PostgreSQL a row lock; on SQLite the write lock, taken before
    any read (a read first would pin a snapshot that a concurrent writer makes stale, and the
    later write would fail with "database is locked" instead of waiting)."""
    with engine.begin() as conn:
        conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq))
        yield conn


def append(conn: Connection, *, actor: str, action: str, object_type: str, object_id: str,
           reason: str | None = None, before: dict[str, Any] | None = None,
           after: dict[str, Any] | None = None, at: datetime | None = None) -> AuditEvent:
    head = conn.execute(select(audit_head.c.seq).where(audit_head.c.id == 1).with_for_update()).scalar_one()
    prev = None
    if head:
        row = conn.execute(select(audit_events).where(audit_events.c.seq == head)).first()
        if row is None:
            raise RuntimeError(f"audit head points at event {head}, which is missing: run `clearance audit verify`")
        prev = _event(row._mapping)
    # microseconds dropped: not every database keeps them, and the hash covers the text
    when = (at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    ev = next_event(prev, at=when, actor=actor, action=action, object_type=object_type,
                    object_id=object_id, reason=reason, before=before, after=after)
    conn.execute(insert(audit_events).values(
        seq=ev.seq, at=ev.at, actor=ev.actor, action=ev.action, object_type=ev.object_type,
        object_id=ev.object_id, reason=ev.reason, before=ev.before, after=ev.after,
        prev_hash=ev.prev_hash, hash=ev.hash))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=ev.seq, hash=ev.hash))
    return ev


def iter_events(engine: Engine, batch: int = 1000) -> Iterator[AuditEvent]:
    """Every event in chain order, read in pages so a long log is not held in memory."""
    last = 0
    with engine.connect() as conn:
        while True:
            rows = conn.execute(select(audit_events).where(audit_events.c.seq > last)
                                .order_by(audit_events.c.seq).limit(batch)).all()
            if not rows:
                return
            for r in rows:
                yield _event(r._mapping)
            last = rows[-1].seq


def head(engine: Engine) -> tuple[int, str]:
    with engine.connect() as conn:
        row = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).first()
    return (row.seq, row.hash) if row is not None else (0, GENESIS)


def for_object(engine: Engine, object_type: str, object_id: str) -> list[AuditEvent]:
    with engine.connect() as conn:
        rows = conn.execute(select(audit_events).where(audit_events.c.object_type == object_type,
                                                       audit_events.c.object_id == object_id)
                            .order_by(audit_events.c.seq)).all()
    return [_event(r._mapping) for r in rows]
