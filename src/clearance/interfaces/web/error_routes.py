"""A route class that turns the exceptions of one router into responses, so each area of the
app (JSON API, workspace pages) renders the services' errors its own way without a global
exception handler touching the other areas (the registry keeps its own handling)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

ErrorRenderer = Callable[[Request, Exception], Response | None]


def mapping_errors(render: ErrorRenderer, name: str) -> type[APIRoute]:
    """An APIRoute subclass whose handlers answer ``render(request, exc)`` for the exceptions it
    knows (it returns None for the others, which propagate)."""

    class Mapped(APIRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()

            async def guarded(request: Request) -> Response:
                try:
                    return await handler(request)
                except Exception as exc:
                    response = render(request, exc)
                    if response is None:
                        raise
                    return response

            return guarded

    Mapped.__name__ = Mapped.__qualname__ = name
    return Mapped
