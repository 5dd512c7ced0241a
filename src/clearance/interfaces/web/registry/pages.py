"""Public registry pages and their .json/.csv twins. Handlers parse the URL, look in the cache,
and on a miss build the response on a worker thread (the builders call the registry service)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from fastapi import APIRouter, Request, Response

from clearance.domain.registry.query import QueryError, RegistryQuery
from clearance.interfaces.web import urls
from clearance.interfaces.web.cache import Cached
from clearance.interfaces.web.registry import build, feed
from clearance.interfaces.web.registry import schemas as sc
from clearance.interfaces.web.state import Lang, Web, WebState

router = APIRouter(tags=["registry pages"])


async def respond(request: Request, web: Web, key: str, make: Callable[[], Cached], *,
                  inline: bool = False) -> Response:
    """Serve from the cache or build. `inline` asks to build on the event loop: for the entry
    page on SQLite (one indexed query in a local file, 0.2 ms) the hop to a worker thread and
    back costs more than the work (saturation 1,580 -> 2,050 requests/s). Over a network
    database a round trip would stall every other request, so there it stays on the build
    threads, as do lists and statistics (10-40 ms uncached)."""
    hit = web.cache.get(key)
    if hit is None:
        version = web.cache.version()
        if inline and web.local_db:
            hit = make()
        else:
            hit = await asyncio.get_running_loop().run_in_executor(web.executor, make)
        if hit.status < 500:
            web.cache.put(key, hit, version)
    resp = Response(hit.body, status_code=hit.status, media_type=hit.media_type, headers=dict(hit.headers))
    lang = request.query_params.get("lang")
    if lang in ("zh", "en"):
        # the switch link carries ?lang=; remembering it keeps later pages in the chosen language
        resp.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax", httponly=True)
    return resp


def bad_request(web: Web, fmt: str, lang: str, message: str) -> Response:
    if fmt == "html":
        body = web.render("registry/error.html", lang, "", title="bad_request", message=message)
        return Response(body, status_code=400, media_type=build.HTML)
    return Response(sc.dump(sc.ErrorV1(error="bad_request", message=message)), status_code=400,
                    media_type=build.JSON)


def _parse(request: Request) -> RegistryQuery:
    return RegistryQuery.from_params(dict(request.query_params))


def _key(*parts: object) -> str:
    return "|".join(str(p) for p in parts)


def _list_route(fmt: str) -> Callable[..., object]:
    async def handler(request: Request, web: WebState, lang: Lang) -> Response:
        try:
            query = _parse(request)
        except QueryError as exc:
            return bad_request(web, fmt, lang, str(exc))
        csv_all = fmt == "csv" and request.query_params.get("all") == "1"
        key = _key("list", fmt, lang if fmt == "html" else "", urls.registry(query), csv_all)
        return await respond(request, web, key, lambda: build.registry_list(web, query, fmt, lang, csv_all=csv_all))
    handler.__name__ = f"registry_list_{fmt}"
    return handler


def _add_formats(path: str, route: Callable[[str], Callable[..., object]]) -> None:
    """The page and its .json/.csv twins: one route per format from the same handler factory."""
    for fmt in urls.FORMATS:
        router.add_api_route(path + ("" if fmt == "html" else f".{fmt}"), route(fmt), methods=["GET"],
                             include_in_schema=False)


def _whole_page_route(name: str, make: Callable[[Web, str, str], Cached]) -> Callable[[str], Callable[..., object]]:
    """Handlers for a page that takes no query: cached per format (and language for HTML)."""
    def route(fmt: str) -> Callable[..., object]:
        async def handler(request: Request, web: WebState, lang: Lang) -> Response:
            key = _key(name, fmt, lang if fmt == "html" else "")
            return await respond(request, web, key, lambda: make(web, fmt, lang))
        handler.__name__ = f"{name}_{fmt}"
        return handler
    return route


_add_formats(urls.REGISTRY, _list_route)


@router.get(urls.ENTRY, include_in_schema=False)
async def entry_page(ref: str, request: Request, web: WebState, lang: Lang) -> Response:
    ident, fmt = urls.split_format(ref)
    if not ident.isdigit():
        return bad_request(web, fmt, lang, f"{ident!r} is not an entry id")
    key = _key("entry", fmt, lang if fmt == "html" else "", ident)
    return await respond(request, web, key, lambda: build.entry(web, int(ident), fmt, lang), inline=True)


@router.get(urls.FEED, include_in_schema=False)
async def batch_feed(request: Request, web: WebState) -> Response:
    base = str(request.base_url).rstrip("/")
    return await respond(request, web, _key("feed", base), lambda: feed.atom(web, base))


_add_formats(urls.BATCHES, _whole_page_route("batches", build.batches))


@router.get(urls.BATCH, include_in_schema=False)
async def batch_page(ref: str, request: Request, web: WebState, lang: Lang) -> Response:
    key_, fmt = urls.split_format(ref)
    try:
        query = _parse(request)
    except QueryError as exc:
        return bad_request(web, fmt, lang, str(exc))
    key = _key("batch", fmt, lang if fmt == "html" else "", key_, urls.registry(query))
    return await respond(request, web, key, lambda: build.batch(web, key_, query, fmt, lang))


_add_formats(urls.STATISTICS, _whole_page_route("statistics", build.statistics))
