"""The audit log: an append-only, hash-chained sequence of events.

Each event's hash covers its content and the previous event's hash, so editing any event
changes its hash and breaks the link to the next one, and deleting one breaks the sequence
numbers or the chain. ``verify`` finds the first break. The chain proves integrity against
edits made through the database; it is not a signature (a regulator key signing the head
hash is on the roadmap in DESIGN.md).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    at: datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    reason: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    prev_hash: str
    hash: str

    def content(self) -> dict[str, Any]:
        return {"seq": self.seq, "at": self.at.isoformat(), "actor": self.actor, "action": self.action,
                "object_type": self.object_type, "object_id": self.object_id, "reason": self.reason,
                "before": self.before, "after": self.after, "prev_hash": self.prev_hash}


def event_hash(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                                     default=str).encode()).hexdigest()


def next_event(prev: AuditEvent | None, *, at: datetime, actor: str, action: str, object_type: str,
               object_id: str, reason: str | None = None, before: dict[str, Any] | None = None,
               after: dict[str, Any] | None = None) -> AuditEvent:
    if at.tzinfo is None:
        raise ValueError("audit times are aware UTC datetimes")
    seq = 1 if prev is None else prev.seq + 1
    prev_hash = GENESIS if prev is None else prev.hash
    content = {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action, "object_type": object_type,
               "object_id": object_id, "reason": reason, "before": before, "after": after, "prev_hash": prev_hash}
    return AuditEvent(seq, at, actor, action, object_type, object_id, reason, before, after, prev_hash,
                      event_hash(content))


@dataclass(frozen=True, slots=True)
class Break:
    seq: int
    problem: str


def verify(events: Iterable[AuditEvent]) -> Break | None:
    """The first place the chain is broken, or None when every event is intact and present."""
    expected_seq = 1
    prev_hash = GENESIS
    for e in events:
        if e.seq != expected_seq:
            return Break(expected_seq, f"event {expected_seq} is missing (next present is {e.seq}): deleted")
        if e.prev_hash != prev_hash:
            return Break(e.seq, "links to a different previous event: an earlier event was edited or removed")
        if event_hash(e.content()) != e.hash:
            return Break(e.seq, "content does not match its hash: edited")
        prev_hash = e.hash
        expected_seq += 1
    return None
