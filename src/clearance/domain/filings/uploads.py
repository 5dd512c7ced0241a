"""Upload rules for materials: which content types each material may be, how large, and what
the bytes really are. The sniffed type is decided from the content, never from the name or the
declared type, so an HTML page renamed ``report.pdf`` is refused; files are only ever served as
downloads (attachment), never inline."""

from __future__ import annotations

from dataclasses import dataclass

from clearance.domain.filings.forms import MaterialType

MB = 1024 * 1024

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP = "application/zip"
TEXT = "text/plain"
CSV = "text/csv"
JSONL = "application/jsonl"
HTML = "text/html"
UNKNOWN = "application/octet-stream"

_EXTENSIONS: dict[str, str] = {".pdf": PDF, ".docx": DOCX, ".xlsx": XLSX, ".zip": ZIP, ".txt": TEXT,
                               ".csv": CSV, ".jsonl": JSONL}


@dataclass(frozen=True, slots=True)
class Rule:
    extensions: tuple[str, ...]
    max_bytes: int


_DOCUMENT = Rule((".pdf", ".docx"), 20 * MB)
RULES: dict[MaterialType, Rule] = {
    MaterialType.FILING_FORM: _DOCUMENT,
    MaterialType.SELF_ASSESSMENT: Rule((".pdf",), 50 * MB),  # signed: a PDF, not an editable file
    MaterialType.SERVICE_AGREEMENT: _DOCUMENT,
    MaterialType.ANNOTATION_RULES: _DOCUMENT,
    MaterialType.KEYWORD_LIST: Rule((".txt", ".csv", ".xlsx"), 20 * MB),
    # banks of 2,000+ questions per kind with answers: the largest material
    MaterialType.TEST_SETS: Rule((".csv", ".jsonl", ".xlsx", ".zip"), 100 * MB),
}


class UploadRejected(ValueError):
    """``field`` names the form field; the message names the limit that was exceeded."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field


def _size(n: int) -> str:
    if n >= MB:
        return f"{n / MB:.1f} MB"
    return f"{n / 1024:.1f} KB" if n >= 1024 else f"{n} bytes"


def sniff(head: bytes, extension: str) -> str:
    """The content type the bytes show. Zip containers are told apart by extension only after
    the zip signature is seen (a .docx and a .xlsx are both zips)."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return {".docx": DOCX, ".xlsx": XLSX}.get(extension, ZIP)
    try:
        text = head.decode("utf-8-sig")
    except UnicodeDecodeError:
        # the head may cut a multi-byte character: retry without the last 3 bytes
        try:
            text = head[:-3].decode("utf-8-sig")
        except UnicodeDecodeError:
            return UNKNOWN
    if "\x00" in text:
        return UNKNOWN
    probe = text.lstrip().lower()
    if probe.startswith(("<!doctype html", "<html", "<script", "<svg", "<?xml", "<body", "<iframe")):
        return HTML
    return {".csv": CSV, ".jsonl": JSONL}.get(extension, TEXT)


def check(material_type: MaterialType, filename: str, size: int, head: bytes) -> str:
    """The sniffed content type when the upload is acceptable; ``UploadRejected`` otherwise."""
    rule = RULES[material_type]
    name = filename.strip()
    if not name or "/" in name or "\\" in name or name.startswith(".") or len(name) > 200:
        raise UploadRejected("filename", "a plain file name of at most 200 characters, without folders")
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in rule.extensions:
        raise UploadRejected(material_type.value, f"{name!r}: allowed file types are "
                             + ", ".join(rule.extensions))
    if size == 0:
        raise UploadRejected(material_type.value, f"{name!r} is empty")
    if size > rule.max_bytes:
        raise UploadRejected(material_type.value, f"{name!r} is {_size(size)}; the limit is {_size(rule.max_bytes)}")
    sniffed = sniff(head, ext)
    if sniffed != _EXTENSIONS[ext]:
        raise UploadRejected(material_type.value, f"{name!r} does not contain what its name says: the "
                             f"content is {sniffed}, expected {_EXTENSIONS[ext]}")
    return sniffed
