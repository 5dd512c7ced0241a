"""Registry use cases: import published lists, load the sample, publish approvals (the filing
service's entry point), suspend/revoke, list with facets, statistics."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pypinyin import lazy_pinyin
from sqlalchemy import Engine

from clearance.adapters import registry_files
from clearance.adapters.db import registry as repo
from clearance.domain.registry import numbers
from clearance.domain.registry import stats as st
from clearance.domain.registry.entries import (
    Batch,
    DataType,
    Entry,
    RdMode,
    Scope,
    Source,
    Status,
    StatusChange,
    check_status_change,
)
from clearance.domain.registry.query import RegistryQuery
from clearance.domain.registry.rows import RegistryImportError, RowError, convert, same_entry

SAMPLE_ENTRIES = "registry-sample.csv"
SAMPLE_BATCHES = "batches-sample.csv"
SAMPLE_BATCH_KEY = "registry-sample"


@dataclass(frozen=True, slots=True)
class ImportReport:
    file: str
    batch: str
    rows: int
    added: int
    already_present: int   # stored by an earlier import (cumulative attachments repeat entries)
    repeated: int          # repeated within this file


def batch_key(name: str) -> str:
    """A URL-safe batch key from a human name: pinyin for Chinese, punctuation to hyphens."""
    latin = "".join(lazy_pinyin(name))
    key = re.sub(r"[^A-Za-z0-9._-]+", "-", latin).strip("-._")[:80]
    return key or "batch"


def import_file(engine: Engine, path: Path, *, batch: str | None = None, title: str | None = None) -> ImportReport:
    """Import one published list, all or nothing. Raises RegistryImportError listing every problem."""
    try:
        raw = registry_files.read_rows(path)
    except registry_files.UnreadableFile as exc:
        raise RegistryImportError([exc.error]) from None
    key = batch_key(batch or path.stem)
    converted = convert(raw, batch=key)
    if converted.errors:
        raise RegistryImportError(converted.errors)
    existing = repo.get_batch(engine, key)
    b = Batch(key=key, title=title or (existing.title if existing else batch or path.name))
    try:
        added, skipped = repo.add_entries(engine, converted.entries, [b], same=same_entry)
    except repo.ConflictError as exc:
        raise RegistryImportError([
            RowError(path.name, 0, "备案号", f"number {new.number!r} is already in the registry for "
                     f"{old.model_name or '?'} / {old.entity_zh or '?'} (entry {old.id}), "
                     f"this file says {new.model_name or '?'} / {new.entity_zh or '?'}",
                     "correct the number in the file, or the stored entry if the file is right")
            for old, new in exc.conflicts]) from None
    return ImportReport(path.name, key, len(raw), added, skipped, converted.duplicates)


def load_sample(engine: Engine, folder: Path) -> ImportReport:
    """The shared sample: its batches (reported counts, shown on the timeline) and its entries."""
    try:
        batches = registry_files.read_batches_csv(folder / SAMPLE_BATCHES)
    except registry_files.UnreadableFile as exc:
        raise RegistryImportError([exc.error]) from None
    repo.add_entries(engine, [], batches)
    return import_file(engine, folder / SAMPLE_ENTRIES, batch=SAMPLE_BATCH_KEY,
                       title="Registry sample (public facts, compiled 2026-11-27)")


def publish(engine: Engine, entries: list[Entry], batch: Batch) -> int:
    """Publish approvals made in Clearance as one batch (called by the filing service). Every
    entry needs a valid number; they are marked source=clearance."""
    errors = []
    ready: list[Entry] = []
    for e in entries:
        if not e.number:
            errors.append(f"{e.model_name}: an approved entry needs its number")
            continue
        try:
            parsed = numbers.parse(e.number, e.kind.value)
        except numbers.NumberError as exc:
            errors.append(str(exc))
            continue
        ready.append(e.model_copy(update={
            "source": Source.CLEARANCE, "batch": batch.key, "status": Status.PUBLISHED,
            "province": e.province or (parsed.province.key if parsed.province else None),
            "date": e.date or batch.published_on}))
    if errors:
        raise ValueError("; ".join(errors))
    added, _ = repo.add_entries(engine, ready, [batch], same=None)
    return added


def change_status(engine: Engine, *, number: str, status: Status, reason: str,
                  at: datetime | None = None) -> Entry:
    entry = repo.find_by_number(engine, number)
    if entry is None or entry.id is None:
        raise LookupError(f"no registry entry with number {number!r}")
    check_status_change(entry.status, status, reason)
    repo.change_status(engine, entry.id, StatusChange(status=status, reason=reason.strip(), at=at or datetime.now(UTC)))
    updated = repo.get_entry(engine, entry.id)
    assert updated is not None
    return updated


# --- reads ----------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Listing:
    query: RegistryQuery
    page: repo.Page
    facets: dict[str, list[st.Count]]


FACET_LABELS: dict[str, dict[str, tuple[str, str]]] = {
    "kind": {"filing": ("备案", "filing"), "registration": ("登记", "registration")},
    "status": {"published": ("已公示", "published"), "suspended": ("已暂停", "suspended"),
               "revoked": ("已撤销", "revoked")},
    "rd_mode": {RdMode.SELF_DEVELOPED.value: ("自研", "self-developed"),
                RdMode.FINE_TUNED.value: ("基于已备案模型微调", "fine-tuned on a filed model")},
    "data_type": {DataType.TEXT.value: ("文本", "text"), DataType.MULTIMODAL.value: ("多模态", "multimodal")},
    "scope": {Scope.GENERAL.value: ("通用", "general"), Scope.INDUSTRY.value: ("行业", "industry")},
    "source": {Source.IMPORTED.value: ("导入的公示名单", "imported from published lists"),
               Source.CLEARANCE.value: ("在本平台批准", "approved in Clearance")},
}


def _facets(raw: dict[str, dict[str | None, int]], batch_titles: dict[str, str]) -> dict[str, list[st.Count]]:
    out: dict[str, list[st.Count]] = {}
    for facet, counts in raw.items():
        if facet == "province":
            out[facet] = st.by_province(counts)
        elif facet == "month":
            out[facet] = sorted(st.by_month(counts), key=lambda c: c.key, reverse=True)
            out[facet] = [c for c in out[facet] if c.count]
        elif facet == "batch":
            out[facet] = sorted((st.Count(k, batch_titles.get(k, k), batch_titles.get(k, k), n)
                                 for k, n in counts.items() if k is not None and n), key=lambda c: -c.count)
            if counts.get(None):
                out[facet].append(st.Count("unknown", "未注明", "not stated", counts[None]))
        else:
            out[facet] = st.labelled(counts, FACET_LABELS[facet])
    return out


def listing(engine: Engine, query: RegistryQuery) -> Listing:
    page, counts = repo.listing(engine, query)
    titles = {b.key: b.title for b, _ in repo.list_batches(engine)}
    return Listing(query, page, _facets(counts, titles))


@dataclass(frozen=True, slots=True)
class Statistics:
    total: int
    cumulative: list[st.CumulativePoint]
    by_province: list[st.Count]
    by_month: list[st.Count]
    by_kind: list[st.Count]
    by_status: list[st.Count]
    by_rd_mode: list[st.Count]
    by_data_type: list[st.Count]
    by_scope: list[st.Count]
    by_source: list[st.Count]
    batches: list[tuple[Batch, int]]
    durations: list[st.Spread]


def statistics(engine: Engine) -> Statistics:
    g = repo.grouped_counts(engine)
    return Statistics(
        total=sum(g.by_kind.values()), cumulative=st.cumulative(g.by_day, g.batch_days),
        by_province=st.by_province(g.by_province), by_month=st.by_month(g.by_month), by_kind=st.by_kind(g.by_kind),
        by_status=st.labelled(g.by_status, FACET_LABELS["status"]),
        by_rd_mode=st.labelled(g.by_rd_mode, FACET_LABELS["rd_mode"]),
        by_data_type=st.labelled(g.by_data_type, FACET_LABELS["data_type"]),
        by_scope=st.labelled(g.by_scope, FACET_LABELS["scope"]),
        by_source=st.labelled(g.by_source, FACET_LABELS["source"]),
        batches=repo.list_batches(engine), durations=st.durations(repo.phase_days(engine)))


def entry(engine: Engine, entry_id: int) -> Entry | None:
    return repo.get_entry(engine, entry_id)


def entry_with_batch(engine: Engine, entry_id: int) -> tuple[Entry, Batch | None] | None:
    return repo.get_entry_with_batch(engine, entry_id)


def batches(engine: Engine) -> list[tuple[Batch, int]]:
    return repo.list_batches(engine)


def batch(engine: Engine, key: str) -> Batch | None:
    return repo.get_batch(engine, key)


def version(engine: Engine) -> int:
    return repo.version(engine)
