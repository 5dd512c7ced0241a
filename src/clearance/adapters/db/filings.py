"""Repository for organisations, filings, materials, number sequences and batches. Writes take
the caller's connection: the services put a change and its audit event in one transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from clearance.adapters.db.tables_filings import (
    batch_filings,
    batches,
    filings,
    materials,
    number_sequences,
    organisations,
)
from clearance.domain.filings.forms import FilingForm, MaterialType
from clearance.domain.filings.organisations import Organisation
from clearance.domain.filings.records import Batch, Filing, Material
from clearance.domain.filings.workflow import FilingKind, State
from clearance.domain.policy import ListScope


def _utc(v: datetime | None) -> datetime | None:
    if v is None:
        return None
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


# --- organisations --------------------------------------------------------------------------------

def insert_organisation(conn: Connection, org: Organisation, now: datetime) -> None:
    conn.execute(insert(organisations).values(**org.model_dump(), created_at=now))


def get_organisation(conn: Connection, org_id: str) -> Organisation | None:
    row = conn.execute(select(organisations).where(organisations.c.id == org_id)).first()
    if row is None:
        return None
    m = dict(row._mapping)
    m.pop("created_at")
    return Organisation.model_validate(m)


def list_organisations(conn: Connection) -> list[Organisation]:
    rows = conn.execute(select(organisations).order_by(organisations.c.name_zh, organisations.c.id)).all()
    return [Organisation.model_validate({k: v for k, v in r._mapping.items() if k != "created_at"}) for r in rows]


def organisation_by_credit_code(conn: Connection, code: str) -> str | None:
    return conn.execute(select(organisations.c.id).where(organisations.c.credit_code == code)).scalar()


# --- filings --------------------------------------------------------------------------------------

def _material(m: Any) -> Material:
    return Material(id=m["id"], filing_id=m["filing_id"], material_type=MaterialType(m["material_type"]),
                    filename=m["filename"], size=m["size"], sha256=m["sha256"], storage_key=m["storage_key"],
                    declared_type=m["declared_type"], sniffed_type=m["sniffed_type"],
                    uploaded_by=m["uploaded_by"], uploaded_at=_utc(m["uploaded_at"]) or datetime.now(UTC))


def _filing(m: Any, mats: tuple[Material, ...]) -> Filing:
    return Filing(
        id=m["id"], kind=FilingKind(m["kind"]), organisation_id=m["organisation_id"], province=m["province"],
        state=State(m["state"]), form=FilingForm.model_validate(m["form"]), created_by=m["created_by"],
        created_at=_utc(m["created_at"]) or datetime.now(UTC), updated_at=_utc(m["updated_at"]) or datetime.now(UTC),
        previous_filing_id=m["previous_filing_id"], number=m["number"], approved_on=m["approved_on"],
        provincial_reviewer=m["provincial_reviewer"], assessors=frozenset(m["assessors"] or ()),
        assessment_run_id=m["assessment_run_id"], assessment_signed_by=m["assessment_signed_by"],
        assessment_signed_at=_utc(m["assessment_signed_at"]), materials=mats)


def insert_filing(conn: Connection, *, filing_id: str, kind: FilingKind, organisation_id: str, province: str,
                  form: FilingForm, created_by: str, now: datetime, previous_filing_id: str | None = None) -> None:
    conn.execute(insert(filings).values(
        id=filing_id, kind=kind.value, organisation_id=organisation_id, province=province,
        state=State.DRAFT.value, form=form.model_dump(mode="json", exclude_none=True),
        previous_filing_id=previous_filing_id, assessors=[], created_by=created_by, created_at=now,
        updated_at=now))


def get_filing(conn: Connection, filing_id: str, *, for_update: bool = False) -> Filing | None:
    q = select(filings).where(filings.c.id == filing_id)
    # the row lock serialises two decisions on the same filing on PostgreSQL (SQLite serialises
    # all writers anyway)
    row = conn.execute(q.with_for_update() if for_update else q).first()
    if row is None:
        return None
    mats = conn.execute(select(materials).where(materials.c.filing_id == filing_id).order_by(materials.c.id)).all()
    return _filing(row._mapping, tuple(_material(r._mapping) for r in mats))


def update_filing(conn: Connection, filing_id: str, now: datetime, **values: Any) -> None:
    if "form" in values and isinstance(values["form"], FilingForm):
        values["form"] = values["form"].model_dump(mode="json", exclude_none=True)
    if "state" in values and isinstance(values["state"], State):
        values["state"] = values["state"].value
    if "assessors" in values:
        values["assessors"] = sorted(values["assessors"])
    conn.execute(update(filings).where(filings.c.id == filing_id).values(**values, updated_at=now))


def list_filings(conn: Connection, scope: ListScope, state: State | None = None) -> list[Filing]:
    if scope.nothing:
        return []
    conds = []
    if scope.organisation is not None:
        conds.append(filings.c.organisation_id == scope.organisation)
    if scope.province is not None:
        conds.append(filings.c.province == scope.province)
    if not scope.include_drafts:
        conds.append(filings.c.state != State.DRAFT.value)
    if state is not None:
        conds.append(filings.c.state == state.value)
    rows = conn.execute(select(filings).where(and_(True, *conds)).order_by(filings.c.created_at, filings.c.id)).all()
    return [_filing(r._mapping, ()) for r in rows]


def change_filings_of(conn: Connection, previous_filing_id: str) -> list[tuple[str, State]]:
    """The change filings opened after ``previous_filing_id``: (id, state)."""
    rows = conn.execute(select(filings.c.id, filings.c.state)
                        .where(filings.c.previous_filing_id == previous_filing_id)).all()
    return [(r.id, State(r.state)) for r in rows]


def insert_material(conn: Connection, **values: Any) -> int:
    values["material_type"] = MaterialType(values["material_type"]).value
    return int(conn.execute(insert(materials).values(**values).returning(materials.c.id)).scalar_one())


def next_sequence(conn: Connection, kind: FilingKind, day: date) -> int:
    """The next number of this kind for the day, counted in the caller's transaction (so a
    rolled-back approval does not use up a number).

    One upsert, so the day's first two approvals cannot both find no row and both insert it:
    on PostgreSQL the second waits for the first's row and then increments it (INSERT ... ON
    CONFLICT DO UPDATE either inserts or updates, atomically, even under READ COMMITTED); SQLite
    has a single writer anyway and speaks the same syntax. Services also serialise audited
    changes on the audit head, but the counter must not depend on every caller doing so."""
    values = {"kind": kind.value, "day": day, "last": 1}
    name = conn.dialect.name
    if name in ("postgresql", "sqlite"):
        ins = pg_insert(number_sequences) if name == "postgresql" else sqlite_insert(number_sequences)
        stmt = ins.values(**values).on_conflict_do_update(
            index_elements=[number_sequences.c.kind, number_sequences.c.day],
            set_={"last": number_sequences.c.last + 1},
        ).returning(number_sequences.c.last)
        return int(conn.execute(stmt).scalar_one())
    # another database: lock the row if it exists; a concurrent first insert of the day fails
    # on the primary key and its transaction rolls back whole, to be retried
    where = (number_sequences.c.kind == kind.value, number_sequences.c.day == day)
    last = conn.execute(select(number_sequences.c.last).where(*where).with_for_update()).scalar()
    if last is None:
        conn.execute(insert(number_sequences).values(**values))
        return 1
    conn.execute(update(number_sequences).where(*where).values(last=last + 1))
    return int(last) + 1


# --- batches --------------------------------------------------------------------------------------

def insert_batch(conn: Connection, *, batch_id: str, title: str, created_by: str, now: datetime,
                 filing_ids: list[str]) -> None:
    conn.execute(insert(batches).values(id=batch_id, title=title, status="draft", created_by=created_by,
                                        created_at=now))
    conn.execute(insert(batch_filings), [{"batch_id": batch_id, "filing_id": f} for f in filing_ids])


def batched_filing_ids(conn: Connection, filing_ids: list[str]) -> set[str]:
    rows = conn.execute(select(batch_filings.c.filing_id).where(batch_filings.c.filing_id.in_(filing_ids))).all()
    return {r[0] for r in rows}


def get_batch(conn: Connection, batch_id: str, *, for_update: bool = False) -> Batch | None:
    q = select(batches).where(batches.c.id == batch_id)
    row = conn.execute(q.with_for_update() if for_update else q).first()
    if row is None:
        return None
    ids = conn.execute(select(batch_filings.c.filing_id).where(batch_filings.c.batch_id == batch_id)
                       .order_by(batch_filings.c.filing_id)).scalars().all()
    m = row._mapping
    return Batch(id=m["id"], title=m["title"], status=m["status"], created_by=m["created_by"],
                 created_at=_utc(m["created_at"]) or datetime.now(UTC), filing_ids=tuple(ids),
                 published_by=m["published_by"], published_at=_utc(m["published_at"]))


def list_batches(conn: Connection) -> list[Batch]:
    """Every batch, newest first, with its filings."""
    ids = conn.execute(select(batches.c.id).order_by(batches.c.created_at.desc(), batches.c.id)).scalars().all()
    return [b for b in (get_batch(conn, i) for i in ids) if b is not None]


def mark_batch_published(conn: Connection, batch_id: str, by: str, now: datetime) -> None:
    conn.execute(update(batches).where(batches.c.id == batch_id)
                 .values(status="published", published_by=by, published_at=now))


def count_filings(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(filings)).scalar_one())
