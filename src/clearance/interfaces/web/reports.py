"""Public summaries of assessment reports, linked from registry entries by report SHA-256."""

from __future__ import annotations

import re

from fastapi import APIRouter, Request, Response

from clearance.interfaces.web import urls
from clearance.interfaces.web.cache import Cached
from clearance.interfaces.web.registry import build
from clearance.interfaces.web.registry import schemas as sc
from clearance.interfaces.web.registry.pages import bad_request, respond
from clearance.interfaces.web.state import Lang, Web, WebState
from clearance.services import assessments

router = APIRouter(tags=["assessment reports"])
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _build(web: Web, sha: str, fmt: str, lang: str) -> Cached:
    rep = assessments.public_summary(web.engine, sha)
    if rep is None:
        if fmt == "json":
            return Cached(sc.dump(sc.ErrorV1(error="not_found", message=f"no assessment report {sha}")), build.JSON,
                          status=404)
        return Cached(web.render("registry/error.html", lang, "", title="not_found",
                                 message=f"no assessment report {sha}"), build.HTML, status=404)
    if fmt == "json":
        body = rep.model_dump_json(exclude={"items"}).encode()
        return Cached(body, build.JSON)
    return Cached(web.render("reports/summary.html", lang, urls.report(sha), r=rep, sha=sha), build.HTML)


@router.get(urls.REPORT, include_in_schema=False)
async def report_summary(ref: str, request: Request, web: WebState, lang: Lang) -> Response:
    sha, fmt = urls.split_format(ref)
    if fmt not in ("html", "json"):
        return bad_request(web, "html", lang, "a report summary is served as .html or .json")
    if not _SHA.match(sha):
        return bad_request(web, fmt, lang, f"{sha!r} is not a SHA-256 (64 lowercase hex digits)")
    return await respond(request, web, f"report|{fmt}|{lang if fmt == 'html' else ''}|{sha}",
                         lambda: _build(web, sha, fmt, lang))
