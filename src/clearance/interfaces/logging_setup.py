"""Logging for the processes Clearance runs: JSON lines or plain text on standard error.

JSON (one object per line, for log collectors): ``time`` (UTC, ISO 8601, milliseconds),
``level``, ``logger``, ``message``, whatever fields the call passed with ``extra=`` (the HTTP
middleware passes ``method``, ``path``, ``status``, ``duration_ms`` and ``user``), and ``exc``
with the traceback when there is one. Text is the same on one human-readable line.

Fields whose names suggest a secret (password, token, cookie, authorization, secret, api key,
csrf) are replaced by ``"[redacted]"`` whatever their value, so a careless ``extra=`` cannot
leak one; the middleware never passes headers, cookies or query strings in the first place.

``CLEARANCE_LOG_FORMAT`` chooses: ``json``, ``text`` or ``auto`` (the default: JSON for
``clearance serve``, text for commands a person watches, such as ``clearance demo``).
``CLEARANCE_LOG_LEVEL`` sets the level. Servers started with uvicorn get the same
configuration through ``dict_config`` (uvicorn applies it in every worker process)."""

from __future__ import annotations

import json
import logging
import logging.config
import traceback
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Literal

Format = Literal["json", "text"]
FORMATS = ("auto", "json", "text")

REDACTED = "[redacted]"
_SECRET_WORDS = ("password", "passwd", "token", "cookie", "authorization", "secret", "api_key", "apikey", "csrf")

# Attributes every LogRecord has; anything else on a record came from `extra=` (uvicorn adds
# `color_message`, the message with terminal colour codes, which a log line does not want).
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message", "asctime", "taskName", "color_message"}


@lru_cache(maxsize=512)  # field names are few and repeat on every record
def secret_name(name: str) -> bool:
    low = name.lower().replace("-", "_")
    return any(w in low for w in _SECRET_WORDS)


def extra_fields(record: logging.LogRecord) -> dict[str, Any]:
    """The fields passed with ``extra=``, secrets redacted."""
    return {k: (REDACTED if secret_name(k) else v) for k, v in vars(record).items()
            if k not in _STANDARD and not k.startswith("_")}


def _time(record: logging.LogRecord) -> str:
    return datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {"time": _time(record), "level": record.levelname, "logger": record.name,
                               "message": record.getMessage()}
        for k, v in extra_fields(record).items():
            out.setdefault(k, v)
        if record.exc_info:
            out["exc"] = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        elif record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """``2026-11-27T06:46:01.123Z INFO clearance.http GET /filings 200  duration_ms=3.1 user=usr_…``"""

    def format(self, record: logging.LogRecord) -> str:
        extras = " ".join(f"{k}={v}" for k, v in extra_fields(record).items()
                          if k not in ("method", "path", "status"))
        line = f"{_time(record)} {record.levelname} {record.name} {record.getMessage()}"
        if extras:
            line += "  " + extras
        if record.exc_info:
            line += "\n" + "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return line


def resolve(setting: str, *, default: Format) -> Format:
    """The format to use: the setting unless it is ``auto``, then the command's default."""
    value = setting.lower()
    if value not in FORMATS:
        raise ValueError(f"CLEARANCE_LOG_FORMAT={setting!r}: choose auto, json or text")
    return default if value == "auto" else value  # type: ignore[return-value]


def dict_config(fmt: Format, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` document: one stderr handler on the root logger, used by
    Clearance's loggers and uvicorn's alike."""
    formatter = "clearance.interfaces.logging_setup." + ("JsonFormatter" if fmt == "json" else "TextFormatter")
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"clearance": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "clearance",
                                "stream": "ext://sys.stderr"}},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        # uvicorn's loggers go through the root handler at the root's level; its access log
        # stays off unless asked for (`clearance serve --access-log`): the middleware logs requests
        "loggers": {name: {"handlers": [], "propagate": True}
                    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")},
    }


def configure(fmt: Format, level: str = "INFO") -> None:
    logging.config.dictConfig(dict_config(fmt, level))
