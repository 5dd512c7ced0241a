"""Readers for the regulator's published lists: CSV copies, provincial XLSX and national PDF
attachments. They only find the header, the section titles (已备案 / 已登记) and the rows;
validation is the domain's (clearance.domain.registry.rows)."""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

from clearance.domain.registry.entries import Batch, Kind
from clearance.domain.registry.rows import RawRow, RowError, map_header, parse_date, section_of

SUFFIXES = (".csv", ".xlsx", ".pdf")


class UnreadableFile(ValueError):
    def __init__(self, error: RowError) -> None:
        self.error = error
        super().__init__(str(error))


def _cjk(text: str) -> str:
    """PDF text extraction often yields Kangxi radicals (U+2F00-U+2FDF) and CJK radical
    supplements instead of the ideographs they look like (⽂⼼⼀⾔ for 文心一言): fold them with
    NFKC, character by character, leaving full-width punctuation such as （） as published."""
    return "".join(unicodedata.normalize("NFKC", ch) if "\u2e80" <= ch <= "\u2fdf" else ch for ch in text)


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, datetime):
        return v.date().isoformat()
    if isinstance(v, date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return _cjk(str(v).replace("\n", "").strip())


def rows_from_table(name: str, table: Iterable[tuple[int, str, Sequence[Any]]]) -> Iterator[RawRow]:
    """Walk (row number, where, cells) tuples: section titles set the kind, header rows (repeated
    on every PDF page) set the column positions, everything after a header is data."""
    header: dict[int, str] | None = None
    section: Kind | None = None
    seen_header = False
    for rownum, where, raw_cells in table:
        cells = [_cell(c) for c in raw_cells]
        if not any(cells):
            continue
        if (s := section_of(cells)) is not None:
            section = s
            continue
        if (h := map_header(cells)) is not None:
            header, seen_header = h, True
            continue
        if header is None:
            continue   # titles and notes above the first header
        yield RawRow(name, rownum, {col: cells[i] if i < len(cells) else "" for i, col in header.items()},
                     section, where)
    if not seen_header:
        raise UnreadableFile(RowError(name, 1, "header", "no header row with the published columns found",
                                      "the file needs a header with 模型名称, 备案单位 and 备案号 or 备案时间 "
                                      "(or the sample layout: model_name, entity, number, date)"))


def read_csv(path: Path) -> list[RawRow]:
    text = path.read_bytes()
    for enc in ("utf-8-sig", "gb18030"):   # people's CSV copies from Excel are often GBK
        try:
            decoded = text.decode(enc)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise UnreadableFile(RowError(path.name, 1, "file", "not UTF-8 or GB18030 text", "save the CSV as UTF-8"))
    reader = csv.reader(io.StringIO(decoded))
    return list(rows_from_table(path.name, ((i, "", r) for i, r in enumerate(reader, start=1))))


def read_xlsx(path: Path) -> list[RawRow]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:   # openpyxl raises many types for a broken file
        raise UnreadableFile(RowError(path.name, 1, "file", f"not a readable XLSX workbook ({exc})",
                                      "open it in a spreadsheet program and save it again as .xlsx")) from exc
    out: list[RawRow] = []
    try:
        for ws in wb.worksheets:
            rows = ((i, f"sheet {ws.title}", list(r)) for i, r in enumerate(ws.iter_rows(values_only=True), start=1))
            try:
                out += rows_from_table(path.name, rows)
            except UnreadableFile:
                if len(wb.worksheets) == 1:
                    raise
    finally:
        wb.close()
    if not out:
        raise UnreadableFile(RowError(path.name, 1, "header", "no sheet holds the published columns",
                                      "the sheet needs a header with 模型名称, 备案单位, 备案号, 备案时间"))
    return out


def read_pdf(path: Path) -> list[RawRow]:
    import logging

    import pdfplumber

    def tables() -> Iterator[tuple[int, str, Sequence[Any]]]:
        n = 0
        with pdfplumber.open(path) as pdf:
            for page_no, page in enumerate(pdf.pages, start=1):
                # Section titles (已备案 / 已登记) are plain text above the tables: merge them with
                # the tables by vertical position so each table gets the kind of its section.
                items: list[tuple[float, list[list[Any]]]] = [
                    (line["top"], [[line["text"]]]) for line in page.extract_text_lines()
                    if section_of([line["text"]]) is not None]
                items += [(t.bbox[1], t.extract()) for t in page.find_tables()]
                for _top, rows in sorted(items, key=lambda it: it[0]):
                    for r in rows:
                        n += 1
                        yield n, f"page {page_no}", r

    # pdfminer logs a warning per glyph for fonts without a bounding box (Chromium's and many
    # office exports): noise, not a problem with the list.
    pdfminer_log = logging.getLogger("pdfminer")
    level = pdfminer_log.level
    pdfminer_log.setLevel(logging.ERROR)
    try:
        return list(rows_from_table(path.name, tables()))
    except UnreadableFile:
        raise
    except Exception as exc:   # pdfminer raises many types for a broken file
        raise UnreadableFile(RowError(path.name, 1, "file", f"not a readable PDF ({exc})",
                                      "use the attachment as published, or convert it to XLSX/CSV")) from exc
    finally:
        pdfminer_log.setLevel(level)


def read_rows(path: Path) -> list[RawRow]:
    suffix = path.suffix.lower()
    if not path.is_file():
        raise UnreadableFile(RowError(str(path), 0, "file", "no such file", "check the path"))
    if suffix == ".csv":
        return read_csv(path)
    if suffix == ".xlsx":
        return read_xlsx(path)
    if suffix == ".pdf":
        return read_pdf(path)
    raise UnreadableFile(RowError(path.name, 0, "file", f"unsupported file type {suffix!r}",
                                  "import a .csv, .xlsx or .pdf list"))


def read_batches_csv(path: Path) -> list[Batch]:
    """The shared sample's batches-sample.csv: batch_date, count_reported, entities_named, source."""
    out: list[Batch] = []
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for i, r in enumerate(csv.DictReader(fh), start=2):
            raw = (r.get("batch_date") or "").strip()
            try:
                day, precision = parse_date(raw)
            except ValueError:
                raise UnreadableFile(RowError(path.name, i, "batch_date", f"{raw!r} is not a date",
                                              "write YYYY-MM-DD or YYYY-MM")) from None
            key = raw
            # Several notices can share a month: keep keys unique by suffixing repeats.
            base, n = key, 2
            while any(b.key == key for b in out):
                key, n = f"{base}-{n}", n + 1
            reported = (r.get("count_reported") or "").strip() or None
            out.append(Batch(key=key, title=f"{raw} {reported or ''}".strip()[:300], published_on=day,
                             date_precision=precision, reported=reported,
                             note=(r.get("entities_named") or "").strip() or None,
                             source=(r.get("source") or "").strip() or None))
    return out


def sample_dir() -> Path:
    """The registry sample copied into the repository (data/registry-sample), so the demo does
    not depend on ../shared being present; a wheel carries it as clearance/data/registry-sample."""
    packaged = Path(__file__).resolve().parent.parent / "data" / "registry-sample"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "data" / "registry-sample"
