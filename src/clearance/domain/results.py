"""What the engine records for each item: the evidence behind every verdict."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class RunItem:
    """A sampled item as stored with its run, so a run can resume without the bank files."""

    item_id: str
    seq: int
    kind: str
    stratum: str
    lang: str
    prompt: str
    system: str | None = None
    reference: str | None = None


@dataclass(slots=True)
class ItemResult:
    item_id: str
    status: str  # "done" | "error"
    response: str | None = None
    finish_reason: str | None = None
    latency_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    attempts: int = 0
    error_type: str | None = None
    error: str | None = None
    verdicts: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StoredItem:
    item: RunItem
    result: ItemResult | None
