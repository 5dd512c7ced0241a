"""Every registry URL comes from here: routes are declared with these paths and links are built
with these functions, so a page, its twins, the feed and the API cannot drift apart."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from clearance.domain.registry.query import RegistryQuery

REGISTRY = "/registry"
ENTRY = "/registry/entries/{ref}"
BATCHES = "/registry/batches"
BATCH = "/registry/batches/{ref}"
STATISTICS = "/registry/statistics"
FEED = "/registry/batches.atom"
API = "/api/v1/registry"
API_ENTRIES = API + "/entries"
API_ENTRY = API + "/entries/{entry_id}"
API_BATCHES = API + "/batches"
API_BATCH = API + "/batches/{key}"
API_STATISTICS = API + "/statistics"

FORMATS = ("html", "json", "csv")


def _suffix(fmt: str) -> str:
    return "" if fmt == "html" else f".{fmt}"


def _qs(params: dict[str, str]) -> str:
    return f"?{urlencode(params)}" if params else ""


def registry(query: RegistryQuery | None = None, fmt: str = "html", **extra: str) -> str:
    params = query.params() if query else {}
    params.update(extra)
    return f"{REGISTRY}{_suffix(fmt)}{_qs(params)}"


def facet(query: RegistryQuery, name: str, value: str | None) -> str:
    """The list with one facet set (or cleared), back on the first page."""
    return registry(query.without_page().with_(**{name: value}).with_(limit=query.limit))


def entry(entry_id: int, fmt: str = "html") -> str:
    return f"/registry/entries/{entry_id}{_suffix(fmt)}"


def batches(fmt: str = "html") -> str:
    return f"{BATCHES}{_suffix(fmt)}"


def batch(key: str, fmt: str = "html", query: RegistryQuery | None = None) -> str:
    """A batch page; `query` adds the list parameters (the batch itself is in the path)."""
    params = {k: v for k, v in query.params().items() if k != "batch"} if query else {}
    return f"/registry/batches/{quote(key, safe='')}{_suffix(fmt)}{_qs(params)}"


def statistics(fmt: str = "html") -> str:
    return f"{STATISTICS}{_suffix(fmt)}"


def feed() -> str:
    return FEED


def api_entries(query: RegistryQuery | None = None) -> str:
    return f"{API_ENTRIES}{_qs(query.params() if query else {})}"


def api_entry(entry_id: int) -> str:
    return f"{API_ENTRIES}/{entry_id}"


def api_batch(key: str) -> str:
    return f"{API_BATCHES}/{quote(key, safe='')}"


def api_statistics() -> str:
    return API_STATISTICS


def split_format(ref: str) -> tuple[str, str]:
    """'12.json' -> ('12', 'json'); '12' -> ('12', 'html'). Batch keys may contain dots, so only
    a known format suffix is split off."""
    for fmt in ("json", "csv"):
        if ref.endswith(f".{fmt}"):
            return ref[: -len(fmt) - 1], fmt
    return ref, "html"


def with_lang(path: str, lang: str) -> str:
    sep = "&" if "?" in path else "?"
    return f"{path}{sep}lang={lang}"


REPORT = "/reports/{ref}"


def report(sha256: str, fmt: str = "html") -> str:
    """The public summary of an assessment report, by the hash the registry shows."""
    return f"/reports/{sha256}{_suffix(fmt)}"
