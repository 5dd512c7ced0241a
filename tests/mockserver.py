"""An in-process mock endpoint on a free port, for engine tests inside one event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiohttp import web

from clearance.adapters.endpoints.mock import MockConfig, MockEndpoint


@asynccontextmanager
async def mock_server(config: MockConfig) -> AsyncIterator[tuple[str, MockEndpoint]]:
    mock = MockEndpoint(config)
    runner = web.AppRunner(mock.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/v1", mock
    finally:
        await runner.cleanup()
