"""OpenAI-compatible chat completions over aiohttp.

aiohttp, not httpx, on this hot path: measured here against a local mock with 3,000 requests
at concurrency 64, httpx 0.28.1 managed 299 requests/s where aiohttp 3.14 managed 7,500.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import aiohttp

from clearance.adapters.endpoints.base import Completion, EndpointError, Message
from clearance.domain.endpoint import EndpointConfig


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After is either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


class MissingApiKey(RuntimeError):
    pass


class OpenAIChatEndpoint:
    def __init__(self, config: EndpointConfig, *, concurrency: int = 64) -> None:
        self.config = config
        self._url = config.base_url + "/chat/completions"
        headers = {"Content-Type": "application/json", **config.extra_headers}
        if config.api_key_env:
            key = os.environ.get(config.api_key_env)
            if not key:
                raise MissingApiKey(
                    f"environment variable {config.api_key_env} is not set; export it with the "
                    "endpoint's API key (the key itself is never stored)")
            headers["Authorization"] = f"Bearer {key}"
        self._headers = headers
        self._concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None
        self._ssl: ssl.SSLContext | bool
        if not config.verify_tls:
            self._ssl = False
        elif config.ca_file:
            self._ssl = ssl.create_default_context(cafile=config.ca_file)
        else:
            self._ssl = True

    def _session_or_new(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self._concurrency, ssl=self._ssl, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector, headers=self._headers,
                timeout=aiohttp.ClientTimeout(total=self.config.timeout_s),
                json_serialize=json.dumps)
        return self._session

    def _body(self, messages: list[Message]) -> dict[str, Any]:
        msgs = [{"role": m.role, "content": m.content} for m in messages]
        if self.config.system_prompt and not any(m.role == "system" for m in messages):
            msgs.insert(0, {"role": "system", "content": self.config.system_prompt})
        body: dict[str, Any] = {"model": self.config.model, "messages": msgs}
        if self.config.temperature is not None:
            body["temperature"] = self.config.temperature
        if self.config.max_tokens is not None:
            body["max_tokens"] = self.config.max_tokens
        return body

    async def complete(self, messages: list[Message]) -> Completion:
        session = self._session_or_new()
        t0 = time.perf_counter()
        try:
            async with session.post(self._url, json=self._body(messages)) as resp:
                raw = await resp.read()
                status = resp.status
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
        except TimeoutError as exc:
            raise EndpointError("timeout", f"no answer within {self.config.timeout_s:g}s",
                                retryable=True) from exc
        except aiohttp.ClientConnectionError as exc:
            raise EndpointError("connection", f"{type(exc).__name__}: {exc}", retryable=True) from exc
        except aiohttp.ClientError as exc:
            raise EndpointError("connection", f"{type(exc).__name__}: {exc}", retryable=True) from exc
        latency = (time.perf_counter() - t0) * 1000
        if status == 429:
            raise EndpointError("http_429", "rate limited (429)", retryable=True,
                                retry_after=retry_after, status=status)
        if status >= 500:
            raise EndpointError("http_5xx", f"server error {status}: {raw[:200]!r}", retryable=True,
                                retry_after=retry_after, status=status)
        if status >= 400:
            raise EndpointError("http_4xx", f"request rejected {status}: {raw[:300]!r}",
                                retryable=status in (408, 409), status=status)
        return _parse(raw, latency)

    async def aclose(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
            # let the connector's transports close before the loop goes away
            await asyncio.sleep(0)


def _parse(raw: bytes, latency_ms: float) -> Completion:
    try:
        data = json.loads(raw)
        choice = data["choices"][0]
        message = choice.get("message") or {}
        content = message.get("content")
        if content is None:
            content = ""
        if not isinstance(content, str):
            # some servers send a list of content parts
            content = "".join(p.get("text", "") for p in content if isinstance(p, dict))
        usage = data.get("usage") or {}
        return Completion(
            text=content, finish_reason=choice.get("finish_reason"),
            prompt_tokens=usage.get("prompt_tokens"), completion_tokens=usage.get("completion_tokens"),
            latency_ms=latency_ms)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise EndpointError("malformed", f"unparseable response body: {raw[:200]!r}",
                            retryable=True) from exc
