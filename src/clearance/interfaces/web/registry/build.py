"""Builders of registry responses: one function per resource, each rendering HTML, JSON or CSV
from the same service result. They run on a worker thread on a cache miss."""

from __future__ import annotations

from collections.abc import Callable

from clearance.domain.registry.query import FACETS, RegistryQuery
from clearance.domain.registry.stats import Count
from clearance.interfaces.web import charts, i18n, urls
from clearance.interfaces.web.cache import Cached
from clearance.interfaces.web.registry import schemas as sc
from clearance.interfaces.web.state import Web
from clearance.services import registry as svc

JSON = "application/json"
CSV = "text/csv; charset=utf-8"
HTML = "text/html; charset=utf-8"
CSV_ALL_LIMIT = 100_000


def _csv_headers(name: str) -> tuple[tuple[str, str], ...]:
    return (("content-disposition", f'attachment; filename="{name}.csv"'),)


def listing_json(listing: svc.Listing, next_url: Callable[[RegistryQuery], str]) -> sc.EntryListV1:
    page = listing.page
    nxt = listing.query.with_(cursor=page.next_cursor) if page.next_cursor else None
    return sc.EntryListV1(total=page.total, count=len(page.entries), entries=[sc.entry_v1(e) for e in page.entries],
                          facets={f: sc.counts_v1(listing.facets[f]) for f in FACETS},
                          next=next_url(nxt) if nxt else None,
                          next_cursor=page.next_cursor.encode() if page.next_cursor else None)


def registry_list(web: Web, query: RegistryQuery, fmt: str, lang: str, *, csv_all: bool = False) -> Cached:
    if fmt == "csv" and csv_all:
        listing = svc.listing(web.engine, query.with_(cursor=None, limit=CSV_ALL_LIMIT))
        return Cached(sc.entries_csv(listing.page.entries), CSV, headers=_csv_headers("registry"))
    listing = svc.listing(web.engine, query)
    if fmt == "json":
        return Cached(sc.dump(listing_json(listing, lambda q: urls.registry(q, "json"))), JSON)
    if fmt == "csv":
        return Cached(sc.entries_csv(listing.page.entries), CSV, headers=_csv_headers("registry"))
    return Cached(web.render("registry/list.html", lang, urls.registry(query), listing=listing, query=query,
                             facets=FACETS, batch=None), HTML)


def api_list(web: Web, query: RegistryQuery) -> Cached:
    return Cached(sc.dump(listing_json(svc.listing(web.engine, query), urls.api_entries)), JSON)


def not_found(web: Web, fmt: str, lang: str, what: str) -> Cached:
    if fmt == "html":
        return Cached(web.render("registry/error.html", lang, "", title="not_found", message=what), HTML, 404)
    return Cached(sc.dump(sc.ErrorV1(error="not_found", message=what)), JSON, 404)


def entry(web: Web, entry_id: int, fmt: str, lang: str) -> Cached:
    found = svc.entry_with_batch(web.engine, entry_id)
    if found is None:
        return not_found(web, fmt, lang, f"entry {entry_id}")
    e, b = found
    if fmt == "json":
        return Cached(sc.dump(sc.entry_v1(e)), JSON)
    if fmt == "csv":
        return Cached(sc.entries_csv([e]), CSV, headers=_csv_headers(f"entry-{entry_id}"))
    return Cached(web.render("registry/entry.html", lang, urls.entry(entry_id), e=e, batch=b), HTML)


def batches(web: Web, fmt: str, lang: str) -> Cached:
    rows = svc.batches(web.engine)
    if fmt == "json":
        return Cached(sc.dump(sc.BatchListV1(batches=[sc.batch_v1(b, n) for b, n in rows])), JSON)
    if fmt == "csv":
        body = sc.batches_csv([sc.batch_v1(b, n) for b, n in rows])
        return Cached(body, CSV, headers=_csv_headers("batches"))
    return Cached(web.render("registry/batches.html", lang, urls.batches(), batches=rows), HTML)


def batch(web: Web, key: str, query: RegistryQuery, fmt: str, lang: str) -> Cached:
    b = svc.batch(web.engine, key)
    if b is None:
        return not_found(web, fmt, lang, f"batch {key}")
    query = query.with_(batch=key)
    listing = svc.listing(web.engine, query)
    n = listing.page.total
    if fmt == "json":
        return Cached(sc.dump(sc.BatchPageV1(batch=sc.batch_v1(b, n), entries=listing_json(
            listing, lambda q: urls.batch(key, "json", q)))), JSON)
    if fmt == "csv":
        return Cached(sc.entries_csv(listing.page.entries), CSV, headers=_csv_headers(f"batch-{key}"))
    return Cached(web.render("registry/batch.html", lang, urls.batch(key), b=b, listing=listing, query=query,
                             facets=FACETS), HTML)


def statistics(web: Web, fmt: str, lang: str) -> Cached:
    s = svc.statistics(web.engine)
    if fmt == "json":
        return Cached(sc.dump(statistics_v1(s)), JSON)
    if fmt == "csv":
        return Cached(sc.counts_csv(_series(s), s.cumulative, s.durations), CSV, headers=_csv_headers("statistics"))

    def t(key: str) -> str:
        return i18n.t(key, lang)

    svgs = {
        "cumulative": charts.cumulative(s.cumulative, title=t("cumulative")),
        # entries without a stated province are in the ranked list, not in the ranking chart
        "province": charts.hbar([c for c in s.by_province if c.key != "unknown"], lang=lang, title=t("by_province")),
        "month": charts.columns([c for c in s.by_month if c.key != "undated"], lang=lang, title=t("by_month")),
        "kind": charts.hbar(s.by_kind, lang=lang, title=t("by_kind")),
        "status": charts.hbar(s.by_status, lang=lang, title=t("by_status")),
        "source": charts.hbar(s.by_source, lang=lang, title=t("by_source")),
    }
    return Cached(web.render("registry/statistics.html", lang, urls.statistics(), s=s, svgs=svgs), HTML)


def _series(s: svc.Statistics) -> list[tuple[str, list[Count]]]:
    return [("province", s.by_province), ("month", s.by_month), ("kind", s.by_kind), ("status", s.by_status),
            ("rd_mode", s.by_rd_mode), ("data_type", s.by_data_type), ("scope", s.by_scope),
            ("source", s.by_source)]


def statistics_v1(s: svc.Statistics) -> sc.StatisticsV1:
    return sc.StatisticsV1(total=s.total, cumulative=sc.cumulative_v1(s.cumulative),
                           by_province=sc.counts_v1(s.by_province), by_month=sc.counts_v1(s.by_month),
                           by_kind=sc.counts_v1(s.by_kind), by_status=sc.counts_v1(s.by_status),
                           by_rd_mode=sc.counts_v1(s.by_rd_mode), by_data_type=sc.counts_v1(s.by_data_type),
                           by_scope=sc.counts_v1(s.by_scope), by_source=sc.counts_v1(s.by_source),
                           submission_to_approval=[sc.SpreadV1(phase=d.phase, n=d.n, median_days=d.median,
                                                               p25_days=d.p25, p75_days=d.p75, min_days=d.low,
                                                               max_days=d.high) for d in s.durations])
