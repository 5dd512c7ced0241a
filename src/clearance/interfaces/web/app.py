"""The web application. `create_app()` mounts one router per area: the public registry now,
the filing service's pages and API later (issue 5) next to it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine

from clearance import __version__
from clearance.interfaces.web import reports, urls
from clearance.interfaces.web.cache import ResponseCache
from clearance.interfaces.web.filings import api as filings_api
from clearance.interfaces.web.registry import api as registry_api
from clearance.interfaces.web.registry import pages as registry_pages
from clearance.interfaces.web.request_log import RequestLog
from clearance.interfaces.web.state import STATIC, Web, make_templates
from clearance.interfaces.web.workspace import admin as workspace_admin
from clearance.interfaces.web.workspace import assessment as workspace_assessment
from clearance.interfaces.web.workspace import auth as workspace_auth
from clearance.interfaces.web.workspace import batches as workspace_batches
from clearance.interfaces.web.workspace import filings as workspace_filings
from clearance.services import registry as registry_service


def create_app(engine: Engine | None = None, *, cache_check_interval: float | None = None) -> FastAPI:
    """The ASGI app. Without an engine it opens the configured database (CLEARANCE_DATABASE_URL,
    SQLite under CLEARANCE_HOME by default) and migrates it."""
    from clearance.settings import get_settings

    settings = get_settings()
    if engine is None:
        from clearance.adapters.db.engine import engine_for

        engine = engine_for(settings.resolved_database_url())
    eng = engine
    interval = settings.registry_cache_seconds if cache_check_interval is None else cache_check_interval
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Everything loaded so far (modules, SQLAlchemy metadata, templates) lives as long as the
        # process: moving it out of the collector's reach keeps full collections short. They
        # otherwise showed as 30-80 ms stalls in the registry benchmark's p99.
        gc.collect()
        gc.freeze()
        # assessments stopped by the last shutdown (or a crash) continue from their stored results,
        # those another worker process holds excepted; the sweep later takes over the runs of a
        # worker that died
        await asyncio.to_thread(app.state.web.runner.resume_unfinished)
        app.state.web.runner.start_sweeping()
        yield
        # graceful: running assessments store what they have, are marked interrupted and
        # release their leases
        await asyncio.to_thread(app.state.web.runner.shutdown)
        app.state.web.executor.shutdown(wait=False, cancel_futures=True)

    app = FastAPI(title="Clearance", version=__version__, docs_url="/api/docs", redoc_url=None,
                  openapi_url="/openapi.json", lifespan=lifespan)
    app.state.web = Web(engine=eng, cache=ResponseCache(lambda: registry_service.version(eng),
                                                        check_interval=interval),
                        templates=make_templates())
    app.include_router(registry_pages.router)
    app.include_router(registry_api.router)
    app.include_router(reports.router)
    app.include_router(filings_api.router)
    app.include_router(workspace_auth.router)
    app.include_router(workspace_filings.router)
    app.include_router(workspace_assessment.router)
    workspace_assessment.install(app.state.web)
    app.include_router(workspace_batches.router)
    app.include_router(workspace_admin.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_middleware(RequestLog)

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(urls.registry(), status_code=307)

    @app.get("/healthz", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return app
