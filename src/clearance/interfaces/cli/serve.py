"""`clearance serve`: the web application under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Processes; each keeps its own response cache")] = 1,
    access_log: Annotated[bool, typer.Option()] = False,
) -> None:
    """Serve the web application (the public registry; SQLite by default, CLEARANCE_DATABASE_URL for
    PostgreSQL). The schema is migrated before the server starts. Logs are JSON lines on stderr
    (CLEARANCE_LOG_FORMAT=text for plain lines)."""
    import uvicorn

    from clearance.interfaces import logging_setup
    from clearance.interfaces.cli.common import db
    from clearance.settings import get_settings

    settings = get_settings()
    log_config = logging_setup.dict_config(logging_setup.resolve(settings.log_format, default="json"),
                                           settings.log_level)
    db()   # migrate once here, not concurrently in every worker
    # uvicorn applies the logging configuration in every worker process
    uvicorn.run("clearance.interfaces.web.app:create_app", factory=True, host=host, port=port,
                workers=workers, access_log=access_log, log_config=log_config, log_level=None)
