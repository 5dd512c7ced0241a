"""What a registry list asks for: search text, facet filters and a cursor. The same query object
drives the HTML page, its .json and .csv twins and the JSON API, so they cannot disagree."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

FACETS: tuple[str, ...] = ("province", "kind", "batch", "month", "status", "rd_mode", "data_type", "scope")
MAX_LIMIT = 500
DEFAULT_LIMIT = 50
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
UNDATED = "0000-00-00"   # sort key of entries without a date: they sort last in the newest-first list


class QueryError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Cursor:
    """Position after the last row shown: (sort date, id), newest first. Keyset pagination keeps
    pages stable while entries are added and costs the same on page 1 and page 400."""

    sort_date: str
    id: int

    def encode(self) -> str:
        return base64.urlsafe_b64encode(f"{self.sort_date}|{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Cursor:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
            day, ident = raw.split("|")
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
                raise ValueError(day)
            return cls(day, int(ident))
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise QueryError(f"invalid cursor {text!r}: use the 'next' link of the previous page") from None


@dataclass(frozen=True, slots=True)
class RegistryQuery:
    q: str = ""
    province: str | None = None
    kind: str | None = None
    batch: str | None = None
    month: str | None = None
    status: str | None = None
    rd_mode: str | None = None
    data_type: str | None = None
    scope: str | None = None
    cursor: Cursor | None = None
    limit: int = DEFAULT_LIMIT

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> RegistryQuery:
        """Parse URL parameters; unknown facet values simply match nothing, malformed ones raise."""
        values: dict[str, object] = {f: (params.get(f) or None) for f in FACETS}
        month = values["month"]
        if month is not None and month != "undated" and not _MONTH.match(str(month)):
            raise QueryError(f"month={month!r}: use YYYY-MM")
        try:
            limit = int(params.get("limit") or DEFAULT_LIMIT)
        except ValueError:
            raise QueryError("limit must be a whole number") from None
        if not 1 <= limit <= MAX_LIMIT:
            raise QueryError(f"limit must be between 1 and {MAX_LIMIT}")
        cur = params.get("cursor")
        return cls(q=(params.get("q") or "").strip()[:200], cursor=Cursor.decode(cur) if cur else None,
                   limit=limit, **values)  # type: ignore[arg-type]

    def filters(self) -> dict[str, str]:
        return {f: v for f in FACETS if (v := getattr(self, f)) is not None}

    def params(self, *, with_cursor: bool = True, with_limit: bool = True) -> dict[str, str]:
        """Canonical URL parameters (stable order, defaults dropped) for links and cache keys."""
        out: dict[str, str] = {}
        if self.q:
            out["q"] = self.q
        out.update(self.filters())
        if with_limit and self.limit != DEFAULT_LIMIT:
            out["limit"] = str(self.limit)
        if with_cursor and self.cursor is not None:
            out["cursor"] = self.cursor.encode()
        return out

    def with_(self, **changes: object) -> RegistryQuery:
        return replace(self, **changes)  # type: ignore[arg-type]

    def without_page(self) -> RegistryQuery:
        return replace(self, cursor=None, limit=DEFAULT_LIMIT)


def normalise_search(text: str) -> str:
    """Search compares lower-case text with all whitespace removed, so 'wen xin', 'WenXin' and
    'wenxin' all find 文心一言 through its pinyin."""
    return re.sub(r"\s+", "", text).lower()

