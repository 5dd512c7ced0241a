"""The assessment report: the record of an assessment, with a versioned schema.

Bump ``REPORT_SCHEMA_VERSION`` on any change of meaning; the golden-file test pins the shape.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field, PrivateAttr

from clearance.domain.agreement import Agreement
from clearance.domain.conformity import Clause
from clearance.domain.gates import GateResult, GateVerdict

REPORT_SCHEMA_VERSION = "1.1"


class ReportItem(BaseModel):
    id: str
    kind: str
    stratum: str
    lang: str
    prompt: str
    response: str | None
    finish_reason: str | None
    latency_ms: float | None
    prompt_tokens: int | None
    completion_tokens: int | None
    attempts: int
    error_type: str | None
    error: str | None
    verdicts: dict[str, dict[str, Any]]


class BankRef(BaseModel):
    kind: str
    name: str
    sha256: str
    size: int
    sampled: int


class Timings(BaseModel):
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    active_seconds: float
    items_per_second: float | None
    latency_ms_p50: float | None
    latency_ms_p95: float | None


class ErrorSummary(BaseModel):
    total: int
    by_type: dict[str, int]
    empty_responses: int


class Summary(BaseModel):
    decision: GateVerdict | str
    gates: dict[str, GateVerdict]
    items: int
    completed: int
    errors: int
    nonconforming_clauses: list[str]


class Report(BaseModel):
    schema_version: str = REPORT_SCHEMA_VERSION
    run_id: str
    software: dict[str, str]
    plan: dict[str, Any]
    endpoint: dict[str, Any]
    seed: int
    banks: list[BankRef]
    judges: list[dict[str, Any]]
    timings: Timings
    summary: Summary
    gates: list[GateResult]
    clauses: list[Clause]
    errors: ErrorSummary
    judge_agreement: list[Agreement] = Field(default_factory=list)
    items: list[ReportItem] = Field(default_factory=list)
    # A report is built once and not changed afterwards; serialising 3,000 items takes ~0.1 s,
    # so the canonical form is computed once for the hash, the file and the printout.
    _canonical: str | None = PrivateAttr(default=None)

    def canonical_json(self) -> str:
        if self._canonical is None:
            self._canonical = json.dumps(self.model_dump(mode="json"), ensure_ascii=False,
                                         sort_keys=True, separators=(",", ":"))
        return self._canonical

    def sha256(self) -> str:
        return hashlib.sha256(self.canonical_json().encode()).hexdigest()


def overall_decision(gates: list[GateResult], incomplete: bool) -> GateVerdict | str:
    """FAIL if any gate fails; MARGINAL if any is marginal; INCOMPLETE if items are pending;
    NOT_RUN if no gate had data; else PASS."""
    verdicts = [g.verdict for g in gates]
    if GateVerdict.FAIL in verdicts:
        return GateVerdict.FAIL
    if incomplete:
        return "INCOMPLETE"
    if GateVerdict.MARGINAL in verdicts:
        return GateVerdict.MARGINAL
    if not verdicts or all(v is GateVerdict.NOT_RUN for v in verdicts):
        return GateVerdict.NOT_RUN
    return GateVerdict.PASS
