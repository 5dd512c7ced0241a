"""What every endpoint adapter returns or raises. Retry policy lives in the engine, so all
adapters share it; adapters only classify what went wrong."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Message:
    role: str
    content: str


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    latency_ms: float


class EndpointError(Exception):
    """``kind`` names the failure for reports: http_429, http_5xx, http_4xx, timeout,
    connection, malformed. ``retryable`` says whether trying again can help."""

    def __init__(self, kind: str, message: str, *, retryable: bool,
                 retry_after: float | None = None, status: int | None = None) -> None:
        super().__init__(message)
        self.kind = kind
        self.retryable = retryable
        self.retry_after = retry_after
        self.status = status


class ChatEndpoint(Protocol):
    async def complete(self, messages: list[Message]) -> Completion: ...

    async def aclose(self) -> None: ...
