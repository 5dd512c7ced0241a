"""Turning rows of a published list into entries. Readers (CSV, XLSX, PDF) in the adapters
produce `RawRow`s; this module validates them and reports every problem with file, row, column
and the fix, so an import either takes the whole file or nothing."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from clearance.domain.registry import numbers
from clearance.domain.registry.entries import (
    DataType,
    DatePrecision,
    Entry,
    Kind,
    RdMode,
    Scope,
    Source,
)
from clearance.domain.registry.provinces import lookup

# Column headings as printed by the regulator (six columns), in people's CSV copies, and in the
# shared sample layout. Matching ignores whitespace and case.
HEADERS: dict[str, tuple[str, ...]] = {
    "seq": ("序号", "seq", "no", "no."),
    "province": ("属地", "province", "jurisdiction", "省份", "地区"),
    "model_name": ("模型名称", "model_name", "model", "服务名称", "应用名称", "产品名称"),
    "entity": ("备案单位", "登记单位", "entity", "entity_zh", "单位名称", "filing_entity"),
    "entity_en": ("entity_en", "英文名称"),
    "number": ("备案号", "上线编号", "备案号/上线编号", "上线编号/备案号", "备案编号", "number", "filing_no"),
    "date": ("备案时间", "登记时间", "上线时间", "备案日期", "备案时间/登记时间", "date", "filing_date"),
    "kind": ("kind", "类型"),
    "rd_mode": ("rd_mode", "研发方式"),
    "data_type": ("data_type", "数据类型"),
    "scope": ("scope", "通用/行业", "general_industry"),
    "confidence": ("confidence",),
    "source": ("source",),
}
REQUIRED = ("model_name", "entity", "number", "date")   # at least the regulator's columns must exist
SECTION_MARKERS = {"已备案": Kind.FILING, "已登记": Kind.REGISTRATION}
_KIND_WORDS = {"filing": Kind.FILING, "备案": Kind.FILING, "registration": Kind.REGISTRATION, "登记": Kind.REGISTRATION}
_RD = {"self_developed": RdMode.SELF_DEVELOPED, "自研": RdMode.SELF_DEVELOPED,
       "fine_tuned": RdMode.FINE_TUNED, "微调": RdMode.FINE_TUNED, "基于已备案模型": RdMode.FINE_TUNED}
_DT = {"text": DataType.TEXT, "文本": DataType.TEXT, "multimodal": DataType.MULTIMODAL, "多模态": DataType.MULTIMODAL}
_SC = {"general": Scope.GENERAL, "通用": Scope.GENERAL, "industry": Scope.INDUSTRY, "行业": Scope.INDUSTRY}


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s).lower()


_HEADER_INDEX = {_norm(alias): col for col, aliases in HEADERS.items() for alias in aliases}


@dataclass(frozen=True, slots=True)
class RawRow:
    """One table row as read, with where it came from. `section` is the kind announced by the
    nearest preceding 已备案 / 已登记 title, if the file has one."""

    file: str
    row: int                    # 1-based row number in the file (or "page:row" folded into it for PDFs)
    cells: Mapping[str, str]    # canonical column -> text
    section: Kind | None = None
    where: str = ""             # e.g. "page 3" for PDFs


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    row: int
    column: str
    problem: str
    fix: str
    where: str = ""

    def __str__(self) -> str:
        loc = f"{self.file}:{self.row}" + (f" ({self.where})" if self.where else "")
        return f"{loc} [{self.column}] {self.problem} — fix: {self.fix}"


class RegistryImportError(ValueError):
    """Raised with every problem found; nothing has been written."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} problem(s); nothing was imported")


def map_header(cells: Sequence[str]) -> dict[int, str] | None:
    """Column positions of a header row, or None when the row is not a header."""
    found = {i: _HEADER_INDEX[_norm(c)] for i, c in enumerate(cells) if c and _norm(c) in _HEADER_INDEX}
    cols = set(found.values())
    return found if {"model_name", "entity"} <= cols and ({"number", "date"} & cols) else None


def section_of(cells: Sequence[str]) -> Kind | None:
    """A section title row (生成式人工智能服务已备案信息 / …已登记信息) names the kind of the rows below."""
    text = "".join(c for c in cells if c)
    if len(text) > 60:
        return None
    for marker, kind in SECTION_MARKERS.items():
        if marker in text:
            return kind
    return None


def parse_date(text: str) -> tuple[date, DatePrecision]:
    s = text.strip()
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T]00:00(?::00)?)?", s) or \
        re.fullmatch(r"(\d{4})(\d{2})(\d{2})", s)
    if m:
        return date(int(m[1]), int(m[2]), int(m[3])), DatePrecision.DAY
    m = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", s)
    if m:
        return date(int(m[1]), int(m[2]), 1), DatePrecision.MONTH
    raise ValueError(s)


def _enum(value: str, table: Mapping[str, object], column: str, err: list[str]) -> object | None:
    if not value:
        return None
    hit = table.get(_norm(value))
    if hit is None:
        err.append(f"{column}|{value!r} is not one of {', '.join(sorted({str(v) for v in table.values()}))}")
    return hit


@dataclass
class Converted:
    entries: list[Entry] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: int = 0   # identical rows repeated within the input (cumulative attachments)


def convert(rows: Iterable[RawRow], *, batch: str | None, source: Source = Source.IMPORTED) -> Converted:
    """Validate and convert rows; drop exact repeats, report conflicting ones."""
    out = Converted()
    seen: dict[tuple[str, ...], tuple[Entry, RawRow]] = {}
    for raw in rows:
        entry = _convert_one(raw, batch, source, out.errors)
        if entry is None:
            continue
        key = entry.dedupe_key()
        if key in seen:
            first, first_row = seen[key]
            if same_entry(first, entry):
                out.duplicates += 1
                continue
            out.errors.append(RowError(raw.file, raw.row, "number", f"duplicate number {entry.number!r}: "
                                       f"also on {first_row.file}:{first_row.row} for "
                                       f"{first.model_name or '?'} / {first.entity_zh or '?'}",
                                       "one number belongs to one entry: correct one of the two rows",
                                       raw.where))
            continue
        seen[key] = (entry, raw)
        out.entries.append(entry)
    return out


def same_entry(a: Entry, b: Entry) -> bool:
    """Whether two rows describe the same entry (a later attachment repeating an earlier one).
    Blank fields agree with anything: transcriptions differ in what they leave out."""
    for x, y in ((a.kind, b.kind), (a.seq, b.seq)):
        if x is not None and y is not None and x != y:
            return False
    # PDF extraction drops spaces and folds width; compare names the way search does
    for m, n in ((a.model_name, b.model_name), (a.entity_zh, b.entity_zh)):
        if m and n and _norm(unicodedata.normalize("NFKC", m)) != _norm(unicodedata.normalize("NFKC", n)):
            return False
    return True


def _convert_one(raw: RawRow, batch: str | None, source: Source, errors: list[RowError]) -> Entry | None:
    c = {k: (v or "").strip() for k, v in raw.cells.items()}
    problems: list[tuple[str, str, str]] = []   # column, problem, fix

    kind: Kind | None = None
    if c.get("kind"):
        kind = _KIND_WORDS.get(_norm(c["kind"]))
        if kind is None:
            problems.append(("kind", f"{c['kind']!r} is not a kind", "write filing/备案 or registration/登记"))
    kind = kind or raw.section

    seq: int | None = None
    if c.get("seq"):
        try:
            seq = int(float(c["seq"])) if re.fullmatch(r"\d+(\.0)?", c["seq"]) else int(c["seq"])
            if seq < 1:
                raise ValueError
        except ValueError:
            problems.append(("序号", f"{c['seq']!r} is not a positive whole number", "write the row's 序号, e.g. 117"))

    parsed: numbers.ParsedNumber | None = None
    number = re.sub(r"\s+", "", c.get("number", "")) or None
    if number:
        try:
            parsed = numbers.parse(number, kind.value if kind else None)
            kind = kind or Kind(parsed.kind)
        except numbers.NumberError as exc:
            problems.append(("备案号", str(exc), "copy the number exactly as published, or leave the cell blank"))

    province: str | None = None
    derived = False
    if c.get("province"):
        p = lookup(c["province"])
        if p is None:
            problems.append(("属地", f"unknown province {c['province']!r}",
                             "use a province name (北京市, 北京, Beijing), its GB/T 2260 code, or 国资委"))
        else:
            province = p.key
            if parsed and parsed.province and parsed.province.key != p.key:
                problems.append(("属地", f"{c['province']!r} contradicts the number's prefix {parsed.prefix!r}",
                                 "check the 属地 column and the number"))
    elif parsed and parsed.province:
        province, derived = parsed.province.key, True

    day: date | None = None
    precision: DatePrecision | None = None
    if c.get("date"):
        try:
            day, precision = parse_date(c["date"])
        except ValueError:
            problems.append(("备案时间", f"{c['date']!r} is not a date", "write YYYY-MM-DD (or YYYY-MM when only the month is known)"))

    facet_errs: list[str] = []
    rd = _enum(c.get("rd_mode", ""), _RD, "rd_mode", facet_errs)
    dt = _enum(c.get("data_type", ""), _DT, "data_type", facet_errs)
    sc = _enum(c.get("scope", ""), _SC, "scope", facet_errs)
    for e in facet_errs:
        col, msg = e.split("|", 1)
        problems.append((col, msg, "use one of the listed values or leave the cell blank"))

    if not (c.get("model_name") or c.get("entity") or number):
        problems.append(("模型名称", "the row names no model, entity or number", "fill at least one of them or delete the row"))

    if problems:
        errors.extend(RowError(raw.file, raw.row, col, prob, fix, raw.where) for col, prob, fix in problems)
        return None
    note = "; ".join(x for x in (f"confidence {c['confidence']}" if c.get("confidence") else "",
                                  c.get("source", "")) if x) or None
    try:
        return Entry(kind=kind or Kind.FILING, seq=seq, province=province, province_derived=derived,
                     model_name=c.get("model_name") or None, entity_zh=c.get("entity") or None,
                     entity_en=c.get("entity_en") or None, number=number, date=day, date_precision=precision,
                     batch=batch, source=source, rd_mode=rd, data_type=dt, scope=sc, note=note)
    except ValidationError as exc:
        errors.append(RowError(raw.file, raw.row, "row", str(exc.errors()[0]["msg"]), "correct the row", raw.where))
        return None
