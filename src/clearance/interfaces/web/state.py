"""What the web app shares between requests: the engine, the response cache, the templates.
Handlers get it from `request.app.state.web` through the `WebState` dependency."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from fastapi import Depends, Request
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import Engine

from clearance.adapters.material_store import MaterialStore
from clearance.interfaces.web import i18n, urls
from clearance.interfaces.web.cache import ResponseCache
from clearance.services.assessment_runner import AssessmentRunner

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"


def make_templates() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "xml", "j2"]),
                      trim_blocks=True, lstrip_blocks=True, auto_reload=False,
                      extensions=["jinja2.ext.i18n"])
    # Workspace pages pass the request's own `_`/`gettext` in the render context; these null
    # callables only make templates compile and keep the registry's pages unaffected.
    env.install_null_translations(newstyle=True)  # type: ignore[attr-defined]
    env.globals["urls"] = urls
    env.globals["fmt_number"] = i18n.number
    return env


# Cache misses are built on this many threads. A small fixed pool, not Starlette's 40-thread
# default: under a burst, forty threads fighting over the GIL and a 15-connection database pool
# served PostgreSQL entry pages at a fraction of the rate four threads reach (bench/registry.py).
BUILD_THREADS = 4


@dataclass
class Web:
    engine: Engine
    cache: ResponseCache
    templates: Environment
    executor: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(BUILD_THREADS, thread_name_prefix="registry-build"))
    # phase 2's assessment runs, executed in this process (services/assessment_runner.py)
    runner: AssessmentRunner = field(init=False)

    def __post_init__(self) -> None:
        self.runner = AssessmentRunner(self.engine)

    @property
    def local_db(self) -> bool:
        """SQLite: a file on this machine, so a short query costs no network round trip."""
        return self.engine.dialect.name == "sqlite"

    def render(self, template: str, lang: str, path: str, **ctx: Any) -> bytes:
        def t(key: str) -> str:
            return i18n.t(key, lang)

        return self.templates.get_template(template).render(lang=lang, t=t, path=path, **ctx).encode()


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebState = Annotated[Web, Depends(get_web)]


def language(request: Request) -> str:
    return i18n.negotiate(request.query_params.get("lang"), request.cookies.get("lang"),
                          request.headers.get("accept-language"))


Lang = Annotated[str, Depends(language)]


def material_store() -> MaterialStore:
    """Where uploaded materials are stored: one dependency for the API and the pages, so a test
    (or a deployment) overrides it once for both."""
    from clearance.services.filings import default_store

    return default_store()


Store = Annotated[MaterialStore, Depends(material_store)]
