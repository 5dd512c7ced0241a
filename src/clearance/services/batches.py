"""Publication batches: the central reviewer groups approved filings and publishes them
together; each filing's ``publish`` goes through the workflow table, and the batch and all its
filings change in one transaction with their audit events."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine

from clearance.adapters.db import audit_log
from clearance.adapters.db import filings as repo
from clearance.domain.filings.records import Batch, Filing
from clearance.domain.filings.workflow import Actor, Event, State, fire
from clearance.domain.policy import Action, list_scope, require
from clearance.services import registry_feed
from clearance.services.errors import InvalidInput, NotFound
from clearance.services.review import facts


def compose(db: Engine, *, actor: Actor, title: str, filing_ids: list[str]) -> Batch:
    require(actor, Action.MANAGE_BATCHES)
    if not title.strip() or len(title) > 300:
        raise InvalidInput({"title": "a title of 1 to 300 characters"})
    ids = sorted(set(filing_ids))
    if not ids:
        raise InvalidInput({"filing_ids": "a batch needs at least one approved filing"})
    batch_id = "bat_" + secrets.token_hex(8)
    with audit_log.writing(db) as conn:
        problems = []
        for fid in ids:
            f = repo.get_filing(conn, fid)
            if f is None:
                problems.append(f"{fid}: no such filing")
            elif f.state is not State.APPROVED:
                problems.append(f"{fid}: is '{f.state.value}', not approved")
        taken = repo.batched_filing_ids(conn, ids)
        problems += [f"{fid}: already in a batch" for fid in sorted(taken)]
        if problems:
            raise InvalidInput({"filing_ids": "; ".join(problems)})
        repo.insert_batch(conn, batch_id=batch_id, title=title.strip(), created_by=actor.id, now=datetime.now(UTC),
                          filing_ids=ids)
        audit_log.append(conn, actor=actor.id, action="batch.composed", object_type="batch", object_id=batch_id,
                         after={"title": title.strip(), "filing_ids": ids})
        batch = repo.get_batch(conn, batch_id)
    assert batch is not None
    return batch


def publish(db: Engine, *, actor: Actor, batch_id: str) -> Batch:
    require(actor, Action.MANAGE_BATCHES)
    now = datetime.now(UTC)
    with audit_log.writing(db) as conn:
        batch = repo.get_batch(conn, batch_id, for_update=True)
        if batch is None:
            raise NotFound(f"no batch {batch_id!r}")
        if batch.status != "draft":
            raise InvalidInput({"batch": "this batch is already published"})
        for fid in batch.filing_ids:
            f = repo.get_filing(conn, fid, for_update=True)
            assert f is not None  # foreign key
            decision = fire(f.state, Event.PUBLISH, actor, facts(f))
            repo.update_filing(conn, fid, now, state=decision.target)
            audit_log.append(conn, actor=actor.id, action="filing.publish", object_type="filing", object_id=fid,
                             before={"state": f.state.value}, after={"state": decision.target.value,
                                                                     "batch": batch_id}, at=now)
        repo.mark_batch_published(conn, batch_id, actor.id, now)
        audit_log.append(conn, actor=actor.id, action="batch.published", object_type="batch", object_id=batch_id,
                         after={"filing_ids": list(batch.filing_ids)}, at=now)
        published = repo.get_batch(conn, batch_id)
    assert published is not None
    # after the commit: the registry never shows a publication that was rolled back
    registry_feed.announce(db, batch_id=batch_id)
    return published


def get(db: Engine, *, actor: Actor, batch_id: str) -> Batch:
    require(actor, Action.MANAGE_BATCHES)
    with db.connect() as conn:
        batch = repo.get_batch(conn, batch_id)
    if batch is None:
        raise NotFound(f"no batch {batch_id!r}")
    return batch


@dataclass(frozen=True)
class Overview:
    """What the central reviewer's batches page shows: the batches (newest first), the filings
    they hold, and the approved filings not yet in any batch (what a new batch can take)."""

    drafts: list[Batch]
    published: list[Batch]
    candidates: list[Filing]
    filings: dict[str, Filing]


def overview(db: Engine, *, actor: Actor) -> Overview:
    require(actor, Action.MANAGE_BATCHES)
    with db.connect() as conn:
        all_batches = repo.list_batches(conn)
        approved = repo.list_filings(conn, list_scope(actor), State.APPROVED)
        taken = repo.batched_filing_ids(conn, [f.id for f in approved]) if approved else set()
        member_ids = {fid for b in all_batches for fid in b.filing_ids}
        members = {fid: f for fid in member_ids if (f := repo.get_filing(conn, fid)) is not None}
    candidates = sorted((f for f in approved if f.id not in taken),
                        key=lambda f: (f.approved_on is None, f.approved_on, f.number or ""))
    return Overview(drafts=[b for b in all_batches if b.status == "draft"],
                    published=[b for b in all_batches if b.status != "draft"],
                    candidates=candidates, filings=members)
