"""Public schemas (version 1) of the registry's open data. The .json twins of the pages and the
/api/v1/registry routes both emit these, so they share one documented shape. Changing a field's
meaning means a v2, never an edit here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from pydantic import BaseModel, Field

from clearance.domain.registry.entries import Batch, Entry
from clearance.domain.registry.stats import Count, CumulativePoint, Spread
from clearance.interfaces.web import urls

SCHEMA = "clearance.registry/v1"


class ProvinceV1(BaseModel):
    key: str
    code: str | None
    zh: str
    en: str
    prefix: str
    derived_from_number: bool


class StatusChangeV1(BaseModel):
    status: str
    reason: str
    at: datetime


class EntryV1(BaseModel):
    id: int
    url: str
    kind: str
    seq: int | None
    province: ProvinceV1 | None
    model_name: str | None
    entity_zh: str | None
    entity_en: str | None
    number: str | None
    date: str | None          # YYYY-MM-DD, or YYYY-MM when the source gives only the month
    status: str
    history: list[StatusChangeV1]
    batch: str | None
    source: str               # imported | clearance
    rd_mode: str | None
    data_type: str | None
    scope: str | None
    report_sha256: str | None
    report_url: str | None
    note: str | None


class CountV1(BaseModel):
    key: str
    label_zh: str
    label_en: str
    count: int


class EntryListV1(BaseModel):
    schema_: str = Field(default=SCHEMA, serialization_alias="schema")
    total: int
    count: int
    entries: list[EntryV1]
    facets: dict[str, list[CountV1]]
    next: str | None          # URL of the next page (same format), None on the last page
    next_cursor: str | None


class BatchV1(BaseModel):
    key: str
    url: str
    title: str
    published_on: str | None
    reported: str | None
    note: str | None
    source: str | None
    entries: int


class BatchListV1(BaseModel):
    schema_: str = Field(default=SCHEMA, serialization_alias="schema")
    batches: list[BatchV1]


class CumulativeV1(BaseModel):
    date: date
    added: int
    total: int
    batches: list[str]


class SpreadV1(BaseModel):
    phase: str
    n: int
    median_days: float
    p25_days: float
    p75_days: float
    min_days: float
    max_days: float


class StatisticsV1(BaseModel):
    schema_: str = Field(default=SCHEMA, serialization_alias="schema")
    total: int
    cumulative: list[CumulativeV1]
    by_province: list[CountV1]
    by_month: list[CountV1]
    by_kind: list[CountV1]
    by_status: list[CountV1]
    by_rd_mode: list[CountV1]
    by_data_type: list[CountV1]
    by_scope: list[CountV1]
    by_source: list[CountV1]
    # days per review phase over filings approved inside Clearance (imported lists have no dates)
    submission_to_approval: list[SpreadV1] = Field(default_factory=list)


def entry_v1(e: Entry) -> EntryV1:
    p = e.province_info
    assert e.id is not None
    return EntryV1(
        id=e.id, url=urls.entry(e.id), kind=e.kind.value, seq=e.seq,
        province=ProvinceV1(key=p.key, code=p.code, zh=p.zh, en=p.en, prefix=p.prefix,
                            derived_from_number=e.province_derived) if p else None,
        model_name=e.model_name, entity_zh=e.entity_zh, entity_en=e.entity_en, number=e.number,
        date=e.date_text or None, status=e.status.value,
        history=[StatusChangeV1(status=h.status.value, reason=h.reason, at=h.at) for h in e.history],
        batch=e.batch, source=e.source.value, rd_mode=e.rd_mode.value if e.rd_mode else None,
        data_type=e.data_type.value if e.data_type else None, scope=e.scope.value if e.scope else None,
        report_sha256=e.report_sha256, report_url=e.report_url, note=e.note)


def counts_v1(rows: Iterable[Count]) -> list[CountV1]:
    return [CountV1(key=c.key, label_zh=c.label_zh, label_en=c.label_en, count=c.count) for c in rows]


def batch_v1(b: Batch, n: int) -> BatchV1:
    return BatchV1(key=b.key, url=urls.batch(b.key), title=b.title,
                   published_on=(b.published_on.isoformat()[:7] if b.date_precision == "month"
                                 else b.published_on.isoformat()) if b.published_on else None,
                   reported=b.reported, note=b.note, source=b.source, entries=n)


def cumulative_v1(points: Sequence[CumulativePoint]) -> list[CumulativeV1]:
    return [CumulativeV1(date=p.day, added=p.added, total=p.total, batches=list(p.batches)) for p in points]


def dump(model: BaseModel) -> bytes:
    return model.model_dump_json(by_alias=True).encode()


ENTRY_CSV_COLUMNS = ("id", "kind", "seq", "province", "province_code", "province_zh", "model_name", "entity_zh",
                     "entity_en", "number", "date", "status", "batch", "source", "rd_mode", "data_type", "scope",
                     "report_sha256", "url")


def entries_csv(entries: Iterable[Entry]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(ENTRY_CSV_COLUMNS)
    for e in entries:
        p = e.province_info
        w.writerow([e.id, e.kind.value, e.seq or "", p.key if p else "", (p.code or "") if p else "",
                    p.zh if p else "", e.model_name or "", e.entity_zh or "", e.entity_en or "", e.number or "",
                    e.date_text, e.status.value, e.batch or "", e.source.value,
                    e.rd_mode.value if e.rd_mode else "", e.data_type.value if e.data_type else "",
                    e.scope.value if e.scope else "", e.report_sha256 or "", urls.entry(e.id or 0)])
    # BOM so that Excel, which most readers of these lists use, opens the Chinese text correctly
    return ("\ufeff" + buf.getvalue()).encode()


def counts_csv(series: Iterable[tuple[str, Iterable[Count]]], cumulative: Sequence[CumulativePoint] = (),
               durations: Sequence[Spread] = ()) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(("series", "key", "label_zh", "label_en", "count", "total"))
    for p in cumulative:
        w.writerow(("cumulative", p.day.isoformat(), ";".join(p.batches), ";".join(p.batches), p.added, p.total))
    for name, rows in series:
        for c in rows:
            w.writerow((name, c.key, c.label_zh, c.label_en, c.count, ""))
    # time from submission to approval: one row per phase and statistic; "total" holds n
    for d in durations:
        for stat, value in (("median", d.median), ("p25", d.p25), ("p75", d.p75), ("min", d.low), ("max", d.high)):
            w.writerow(("duration_days", f"{d.phase}:{stat}", "", "", value, d.n))
    return ("\ufeff" + buf.getvalue()).encode()


class BatchPageV1(BaseModel):
    schema_: str = Field(default=SCHEMA, serialization_alias="schema")
    batch: BatchV1
    entries: EntryListV1


class ErrorV1(BaseModel):
    error: str
    message: str


BATCH_CSV_COLUMNS = ("key", "title", "published_on", "reported", "entries", "note", "source", "url")


def batches_csv(rows: Iterable[BatchV1]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(BATCH_CSV_COLUMNS)
    for b in rows:
        w.writerow((b.key, b.title, b.published_on or "", b.reported or "", b.entries, b.note or "",
                    b.source or "", b.url))
    return ("\ufeff" + buf.getvalue()).encode()
