"""One log record per HTTP request (logger ``clearance.http``): method, path, status,
duration_ms and, when the request was made in a signed-in session, the user's id.

A plain ASGI middleware, not Starlette's BaseHTTPMiddleware: it adds no task or stream per
request, and when INFO is not enabled (tests, a library user who configured nothing) it costs
one level check. The duration runs until the response's last byte was handed to the server.

What is never logged: the query string (it may carry anything), headers, cookies, form
fields, API tokens. The user id comes from the session the workspace's dependency resolved
(``request.state.session``); public registry pages do not look the session up and log no user.
A request whose handler raised is logged at ERROR with status 500 and the traceback; health
checks (``/healthz``) are logged at DEBUG so probes do not flood the log."""

from __future__ import annotations

import logging
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("clearance.http")

QUIET_PATHS = frozenset({"/healthz"})


def user_of(scope: Scope) -> str | None:
    state: Any = scope.get("state") or {}
    sess = state.get("session") if isinstance(state, dict) else None
    actor = getattr(sess, "actor", None)
    user = getattr(actor, "id", None)
    return user if isinstance(user, str) else None


class RequestLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        level = logging.DEBUG if path in QUIET_PATHS else logging.INFO
        if not log.isEnabledFor(level) and not log.isEnabledFor(logging.ERROR):
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_watch)
        except Exception:
            self._emit(scope, path, 500, start, logging.ERROR, exc=True)
            raise
        self._emit(scope, path, status, start, logging.ERROR if status >= 500 else level)

    @staticmethod
    def _emit(scope: Scope, path: str, status: int, start: float, level: int, *, exc: bool = False) -> None:
        if not log.isEnabledFor(level):
            return
        method = scope.get("method", "")
        fields: dict[str, Any] = {"method": method, "path": path, "status": status,
                                  "duration_ms": round((time.perf_counter() - start) * 1000, 2)}
        user = user_of(scope)
        if user is not None:
            fields["user"] = user
        log.log(level, "%s %s %d", method, path, status, extra=fields, exc_info=exc)
