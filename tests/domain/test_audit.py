from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from clearance.domain.audit import AuditEvent, next_event, verify

T0 = datetime(2026, 11, 27, 4, 0, tzinfo=UTC)


def chain(n: int) -> list[AuditEvent]:
    out: list[AuditEvent] = []
    for k in range(n):
        out.append(next_event(out[-1] if out else None, at=T0 + timedelta(minutes=k), actor=f"u{k % 3}",
                              action="filing.submit" if k % 2 else "filing.update", object_type="filing",
                              object_id="f-1", reason=None, before={"state": "draft"}, after={"state": "submitted"}))
    return out


def test_intact_chain_verifies() -> None:
    assert verify(chain(20)) is None
    assert verify([]) is None


def test_an_edited_event_is_found() -> None:
    events = chain(10)
    events[4] = dataclasses.replace(events[4], actor="someone-else")
    b = verify(events)
    assert b is not None and b.seq == 5 and "edited" in b.problem


def test_an_edited_event_with_a_recomputed_hash_breaks_the_next_link() -> None:
    events = chain(10)
    forged = next_event(events[3], at=events[4].at, actor="forger", action=events[4].action, object_type="filing",
                        object_id="f-1")
    events[4] = forged
    b = verify(events)
    assert b is not None and b.seq == 6 and "previous event" in b.problem


def test_a_deleted_event_is_found() -> None:
    events = chain(10)
    del events[6]
    b = verify(events)
    assert b is not None and b.seq == 7 and "deleted" in b.problem


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="aware UTC"):
        next_event(None, at=datetime(2026, 1, 1), actor="a", action="x", object_type="o", object_id="1")
