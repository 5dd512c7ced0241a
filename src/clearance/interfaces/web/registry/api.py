"""The versioned public JSON API, /api/v1/registry. Same builders and cache as the .json twins;
the response models document the v1 schemas in the OpenAPI document (/openapi.json)."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from clearance.domain.registry.query import QueryError, RegistryQuery
from clearance.interfaces.web import urls
from clearance.interfaces.web.registry import build
from clearance.interfaces.web.registry import schemas as sc
from clearance.interfaces.web.registry.pages import _key, bad_request, respond
from clearance.interfaces.web.state import WebState

router = APIRouter(tags=["registry API v1"])
_ERRORS: dict[int | str, dict[str, object]] = {400: {"model": sc.ErrorV1}, 404: {"model": sc.ErrorV1}}


@router.get(urls.API_ENTRIES, response_model=sc.EntryListV1, responses=_ERRORS)
async def list_entries(request: Request, web: WebState) -> Response:
    """Entries newest first. Query parameters: q (Chinese, English or pinyin), province, kind,
    batch, month (YYYY-MM or 'undated'), status, rd_mode, data_type, scope, limit (1-500),
    cursor (from `next_cursor`)."""
    try:
        query = RegistryQuery.from_params(dict(request.query_params))
    except QueryError as exc:
        return bad_request(web, "json", "en", str(exc))
    return await respond(request, web, _key("api-list", urls.api_entries(query)), lambda: build.api_list(web, query))


@router.get(urls.API_ENTRY, response_model=sc.EntryV1, responses=_ERRORS)
async def get_entry(entry_id: int, request: Request, web: WebState) -> Response:
    return await respond(request, web, _key("entry", "json", "", entry_id),
                         lambda: build.entry(web, entry_id, "json", "en"), inline=True)


@router.get(urls.API_BATCHES, response_model=sc.BatchListV1)
async def list_batches(request: Request, web: WebState) -> Response:
    return await respond(request, web, _key("batches", "json", ""), lambda: build.batches(web, "json", "en"))


@router.get(urls.API_BATCH, response_model=sc.BatchPageV1, responses=_ERRORS)
async def get_batch(key: str, request: Request, web: WebState) -> Response:
    try:
        query = RegistryQuery.from_params(dict(request.query_params))
    except QueryError as exc:
        return bad_request(web, "json", "en", str(exc))
    return await respond(request, web, _key("batch", "json", "", key, urls.registry(query)),
                         lambda: build.batch(web, key, query, "json", "en"))


@router.get(urls.API_STATISTICS, response_model=sc.StatisticsV1)
async def get_statistics(request: Request, web: WebState) -> Response:
    return await respond(request, web, _key("statistics", "json", ""), lambda: build.statistics(web, "json", "en"))
