"""Repository for the public registry: entries, batches, status history, facet counts and the
grouped counts behind the statistics. Every write bumps `registry_meta.version` in the same
transaction, which is how response caches learn that the registry changed."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Engine, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.sql.elements import ColumnElement

from clearance.adapters.db.tables import (
    registry_batches,
    registry_entries,
    registry_meta,
    registry_status_changes,
)
from clearance.adapters.registry_search import needle as search_needle
from clearance.adapters.registry_search import search_text
from clearance.domain.registry.entries import Batch, Entry, StatusChange
from clearance.domain.registry.query import FACETS, UNDATED, Cursor, RegistryQuery

E = registry_entries


class ConflictError(ValueError):
    """Incoming entries clash with stored ones (same number, different entry)."""

    def __init__(self, conflicts: Sequence[tuple[Entry, Entry]]) -> None:
        self.conflicts = list(conflicts)
        super().__init__(f"{len(conflicts)} entr(ies) conflict with the registry")


@dataclass(frozen=True, slots=True)
class Page:
    entries: list[Entry]
    next_cursor: Cursor | None
    total: int


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(v: datetime) -> datetime:
    return v if v.tzinfo is not None else v.replace(tzinfo=UTC)


def _dedupe_key(entry: Entry) -> str:
    return "\x1f".join(entry.dedupe_key())[:700]


def _row(entry: Entry, now: datetime) -> dict[str, Any]:
    return {
        "kind": entry.kind.value, "seq": entry.seq, "province": entry.province,
        "province_derived": entry.province_derived, "model_name": entry.model_name,
        "entity_zh": entry.entity_zh, "entity_en": entry.entity_en, "number": entry.number,
        "day": entry.date, "date_precision": entry.date_precision.value if entry.date_precision else None,
        "month": entry.month, "sort_date": entry.date.isoformat() if entry.date else UNDATED,
        "status": entry.status.value, "batch": entry.batch, "source": entry.source.value,
        "rd_mode": entry.rd_mode.value if entry.rd_mode else None,
        "data_type": entry.data_type.value if entry.data_type else None,
        "scope": entry.scope.value if entry.scope else None, "report_sha256": entry.report_sha256,
        "phase_days": entry.phase_days,
        "report_url": entry.report_url, "note": entry.note, "dedupe_key": _dedupe_key(entry),
        "search_text": search_text(entry), "created_at": now, "updated_at": now,
    }


_ENTRY_COLS = [E.c[n] for n in ("id", "kind", "seq", "province", "province_derived", "model_name", "entity_zh",
                                "entity_en", "number", "day", "date_precision", "status", "batch", "source",
                                "rd_mode", "data_type", "scope", "report_sha256", "report_url", "note",
                                "sort_date", "phase_days")]


def _entry(m: Any, history: Sequence[StatusChange] = ()) -> Entry:
    return Entry(id=m["id"], kind=m["kind"], seq=m["seq"], province=m["province"],
                 province_derived=bool(m["province_derived"]), model_name=m["model_name"],
                 entity_zh=m["entity_zh"], entity_en=m["entity_en"], number=m["number"], date=m["day"],
                 date_precision=m["date_precision"], status=m["status"], history=tuple(history),
                 batch=m["batch"], source=m["source"], rd_mode=m["rd_mode"], data_type=m["data_type"],
                 scope=m["scope"], report_sha256=m["report_sha256"], report_url=m["report_url"], note=m["note"],
                 phase_days=m["phase_days"])


def _read(engine: Engine) -> Connection:
    """A connection for reads. Autocommit: a read of one statement needs no transaction, and on
    PostgreSQL this saves the BEGIN and the ROLLBACK-on-return round trips (a third of an
    uncached entry page's database time)."""
    return engine.connect().execution_options(isolation_level="AUTOCOMMIT")


def _bump(conn: Connection) -> None:
    conn.execute(update(registry_meta).where(registry_meta.c.key == "version")
                 .values(value=registry_meta.c.value + 1))


def version(engine: Engine) -> int:
    with _read(engine) as conn:
        return int(conn.execute(select(registry_meta.c.value).where(registry_meta.c.key == "version")).scalar_one())


# --- writes ---------------------------------------------------------------------------------------

def upsert_batches(conn: Connection, batches: Iterable[Batch]) -> None:
    for b in batches:
        values = {"title": b.title, "published_on": b.published_on,
                  "date_precision": b.date_precision.value if b.date_precision else None,
                  "reported": b.reported, "note": b.note, "source": b.source}
        if conn.execute(select(registry_batches.c.key).where(registry_batches.c.key == b.key)).first():
            # importing an attachment into an announced batch must not blank its date or counts
            known = {k: v for k, v in values.items() if v is not None}
            conn.execute(update(registry_batches).where(registry_batches.c.key == b.key).values(**known))
        else:
            conn.execute(insert(registry_batches).values(key=b.key, created_at=b.created_at or _now(), **values))


def existing_by_key(conn: Connection, keys: Sequence[str]) -> dict[str, Entry]:
    out: dict[str, Entry] = {}
    for i in range(0, len(keys), 500):   # bounded IN lists: SQLite's parameter limit
        chunk = keys[i:i + 500]
        for r in conn.execute(select(*_ENTRY_COLS, E.c.dedupe_key).where(E.c.dedupe_key.in_(chunk))):
            out[r._mapping["dedupe_key"]] = _entry(r._mapping)
    return out


def add_entries(engine: Engine, entries: Sequence[Entry], batches: Sequence[Batch] = (),
                same: Any = None) -> tuple[int, int]:
    """Insert entries and batches in one transaction. An entry already stored (same dedupe key)
    is skipped when `same(stored, incoming)` says it is the same entry, otherwise the whole call
    fails with ConflictError and nothing is written. Returns (added, skipped)."""
    now = _now()
    with engine.begin() as conn:
        upsert_batches(conn, batches)
        stored = existing_by_key(conn, [_dedupe_key(e) for e in entries])
        conflicts = [(stored[k], e) for e in entries if (k := _dedupe_key(e)) in stored
                     and same is not None and not same(stored[k], e)]
        if conflicts:
            raise ConflictError(conflicts)
        fresh = [e for e in entries if _dedupe_key(e) not in stored]
        if fresh:
            conn.execute(insert(E), [_row(e, now) for e in fresh])
        if fresh or batches:
            _bump(conn)
    return len(fresh), len(entries) - len(fresh)


def change_status(engine: Engine, entry_id: int, change: StatusChange) -> None:
    with engine.begin() as conn:
        conn.execute(update(E).where(E.c.id == entry_id).values(status=change.status.value, updated_at=_now()))
        conn.execute(insert(registry_status_changes).values(entry_id=entry_id, status=change.status.value,
                                                            reason=change.reason, at=change.at))
        _bump(conn)


# --- reads ----------------------------------------------------------------------------------------

def _where(query: RegistryQuery) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    for facet, value in query.filters().items():
        # "not stated" has a name so it can be a facet link: 'undated' for months, 'unknown' elsewhere
        if (facet == "month" and value == "undated") or (facet != "month" and value == "unknown"):
            conds.append(E.c[facet].is_(None))
        else:
            conds.append(E.c[facet] == value)
    if query.q:
        needle = search_needle(query.q).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conds.append(E.c.search_text.like(f"%{needle}%", escape="\\"))
    return conds


def list_entries(engine: Engine, query: RegistryQuery) -> Page:
    return listing(engine, query)[0]


def facet_counts(engine: Engine, query: RegistryQuery) -> dict[str, dict[str | None, int]]:
    """Counts per value of every facet among the entries matching the query (cursor ignored)."""
    return listing(engine, query)[1]


def _page_after(rows: Sequence[Any], query: RegistryQuery) -> tuple[list[int], Cursor | None]:
    """Ids of the page after the cursor, newest first, and the cursor of the next page."""
    keys = sorted(((r[1], r[0]) for r in rows), reverse=True)
    if query.cursor is not None:
        c = (query.cursor.sort_date, query.cursor.id)
        keys = [k for k in keys if k < c]
    page = keys[:query.limit]
    nxt = Cursor(page[-1][0], page[-1][1]) if len(keys) > query.limit else None
    return [k[1] for k in page], nxt


def listing(engine: Engine, query: RegistryQuery) -> tuple[Page, dict[str, dict[str | None, int]]]:
    """One page of entries and the facet counts of everything the query matches.

    Unfiltered, the counts come from GROUP BYs that the (facet, sort_date, id) indexes answer
    without touching the table. Filtered or searched, one scan fetches the matching rows' facet
    columns and Python counts them: eight GROUP BYs under a WHERE made SQLite walk a facet index
    and look up every row eight times (about 100 ms at 20,000 entries instead of a few)."""
    conds = _where(query)
    facet_cols = [E.c[f] for f in FACETS]
    with _read(engine) as conn:
        if not conds:
            counts = {f: {r[0]: int(r[1]) for r in conn.execute(select(E.c[f], func.count()).group_by(E.c[f]))}
                      for f in FACETS}
            total = sum(counts["kind"].values())
            stmt = select(*_ENTRY_COLS)
            if query.cursor is not None:
                c = query.cursor
                stmt = stmt.where(or_(E.c.sort_date < c.sort_date, and_(E.c.sort_date == c.sort_date, E.c.id < c.id)))
            rows = conn.execute(stmt.order_by(E.c.sort_date.desc(), E.c.id.desc()).limit(query.limit + 1)).all()
            entries = [_entry(r._mapping) for r in rows[:query.limit]]
            nxt = None
            if len(rows) > query.limit:
                last = rows[query.limit - 1]._mapping
                nxt = Cursor(last["sort_date"], last["id"])
            return Page(entries, nxt, total), counts
        matched = conn.execute(select(E.c.id, E.c.sort_date, *facet_cols).where(*conds)).all()
        counts = {f: {} for f in FACETS}
        for r in matched:
            for i, f in enumerate(FACETS, start=2):
                bucket = counts[f]
                bucket[r[i]] = bucket.get(r[i], 0) + 1
        ids, nxt = _page_after(matched, query)
        by_id = {r._mapping["id"]: _entry(r._mapping)
                 for r in conn.execute(select(*_ENTRY_COLS).where(E.c.id.in_(ids)))} if ids else {}
    return Page([by_id[i] for i in ids], nxt, len(matched)), counts


def get_entry(engine: Engine, entry_id: int) -> Entry | None:
    found = get_entry_with_batch(engine, entry_id)
    return found[0] if found else None


def _entry_page_stmt() -> Any:
    B, H = registry_batches, registry_status_changes
    return (select(*_ENTRY_COLS, *[c.label(f"b_{c.name}") for c in B.c],
                   H.c.status.label("h_status"), H.c.reason.label("h_reason"), H.c.at.label("h_at"))
            .select_from(E.outerjoin(B, B.c.key == E.c.batch).outerjoin(H, H.c.entry_id == E.c.id))
            .where(E.c.id == bindparam("entry_id")).order_by(H.c.id))


# Built once: constructing this statement cost about as much as running it on SQLite.
_ENTRY_PAGE = _entry_page_stmt()


def get_entry_with_batch(engine: Engine, entry_id: int) -> tuple[Entry, Batch | None] | None:
    """An entry with its status history and batch in one round trip: the entry page is the
    registry's most varied (least cacheable) request."""
    with _read(engine) as conn:
        rows = conn.execute(_ENTRY_PAGE, {"entry_id": entry_id}).all()
    if not rows:
        return None
    m = rows[0]._mapping
    hist = [StatusChange(status=r.h_status, reason=r.h_reason, at=_aware(r.h_at)) for r in rows if r.h_status]
    batch = _batch({c.name: m[f"b_{c.name}"] for c in registry_batches.c}) if m["b_key"] is not None else None
    return _entry(m, hist), batch


def find_by_number(engine: Engine, number: str) -> Entry | None:
    with _read(engine) as conn:
        ident = conn.execute(select(E.c.id).where(E.c.number == number.strip())).scalar()
    return get_entry(engine, int(ident)) if ident is not None else None


def _batch(m: Any) -> Batch:
    return Batch(key=m["key"], title=m["title"], published_on=m["published_on"], date_precision=m["date_precision"],
                 reported=m["reported"], note=m["note"], source=m["source"], created_at=_aware(m["created_at"]))


def list_batches(engine: Engine) -> list[tuple[Batch, int]]:
    """Every batch with its number of entries, newest first."""
    counts = select(E.c.batch, func.count().label("n")).group_by(E.c.batch).subquery()
    stmt = (select(registry_batches, func.coalesce(counts.c.n, 0).label("entries"))
            .outerjoin(counts, counts.c.batch == registry_batches.c.key)
            .order_by(registry_batches.c.published_on.desc(), registry_batches.c.key.desc()))
    with _read(engine) as conn:
        return [(_batch(r._mapping), int(r._mapping["entries"])) for r in conn.execute(stmt)]


def get_batch(engine: Engine, key: str) -> Batch | None:
    with _read(engine) as conn:
        row = conn.execute(select(registry_batches).where(registry_batches.c.key == key)).first()
    return _batch(row._mapping) if row else None


@dataclass(frozen=True, slots=True)
class GroupedCounts:
    by_day: dict[date, int]
    by_province: dict[str | None, int]
    by_month: dict[str | None, int]
    by_kind: dict[str, int]
    by_status: dict[str | None, int]
    by_rd_mode: dict[str | None, int]
    by_data_type: dict[str | None, int]
    by_scope: dict[str | None, int]
    by_source: dict[str | None, int]
    batch_days: list[tuple[str, date]]


def grouped_counts(engine: Engine, query: RegistryQuery | None = None) -> GroupedCounts:
    conds = _where(query) if query else []
    with _read(engine) as conn:
        def group(col: Any) -> dict[Any, int]:
            return {r[0]: int(r[1]) for r in conn.execute(select(col, func.count()).where(*conds).group_by(col))}
        by_day = {d: n for d, n in group(E.c.day).items() if d is not None}
        batch_days = [(r.key, r.published_on) for r in conn.execute(
            select(registry_batches.c.key, registry_batches.c.published_on)
            .where(registry_batches.c.published_on.is_not(None)))]
        return GroupedCounts(by_day, group(E.c.province), group(E.c.month), group(E.c.kind), group(E.c.status),
                             group(E.c.rd_mode), group(E.c.data_type), group(E.c.scope), group(E.c.source),
                             batch_days)


def phase_days(engine: Engine) -> list[dict[str, float]]:
    """The phase durations of every entry approved inside Clearance (published or not since)."""
    with _read(engine) as conn:
        rows = conn.execute(select(E.c.phase_days).where(E.c.phase_days.is_not(None))).all()
    return [r[0] for r in rows if r[0]]
