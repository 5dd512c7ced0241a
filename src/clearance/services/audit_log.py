"""Audit use cases: verify the whole hash chain, read one object's timeline."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Engine

from clearance.adapters.db import audit_log as repo
from clearance.domain.audit import AuditEvent, Break
from clearance.domain.audit import verify as verify_chain
from clearance.domain.filings.workflow import Actor
from clearance.domain.policy import Action, require


def verify(db: Engine, *, actor: Actor | None = None) -> Break | None:
    """The first break in the stored chain, or None. Beyond the chain itself, the head row must
    name the last stored event: deleting the newest events leaves an intact but shorter chain,
    which only the head reveals. ``actor`` is None for the operator's CLI (database access is
    already total there)."""
    if actor is not None:
        require(actor, Action.VERIFY_AUDIT)
    last: list[AuditEvent] = []

    def tracked() -> Iterator[AuditEvent]:
        for e in repo.iter_events(db):
            last[:] = [e]
            yield e

    broken = verify_chain(tracked())
    if broken is not None:
        return broken
    head_seq, head_hash = repo.head(db)
    last_seq = last[0].seq if last else 0
    if head_seq != last_seq:
        if head_seq > last_seq:
            return Break(last_seq + 1, f"event {last_seq + 1} is missing (the log's head is event {head_seq}): deleted")
        return Break(head_seq + 1, f"event {head_seq + 1} was added outside Clearance (head is {head_seq})")
    if last and head_hash != last[0].hash:
        return Break(last_seq, "the newest event does not match the log's head: edited")
    return None


def count(db: Engine) -> int:
    return repo.head(db)[0]
