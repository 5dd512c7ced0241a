"""Assessment plans: which banks, how many items, which judges and gates, how to execute."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearance.domain.banks import Kind
from clearance.domain.gates import TC260_GATES, GateSpec
from clearance.domain.judges.base import JudgeSpec


class JudgeConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    args: dict[str, Any] = Field(default_factory=dict)

    def spec(self) -> JudgeSpec:
        return JudgeSpec.of(self.name, **self.args)


class ExecutionSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(default=16, ge=1, le=4096)
    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)
    item_timeout_s: float = Field(default=300.0, gt=0)
    max_retries: int = Field(default=5, ge=0, le=50)
    backoff_base_s: float = Field(default=0.5, ge=0)
    backoff_max_s: float = Field(default=60.0, ge=0)
    flush_every: int = Field(default=256, ge=1)
    flush_interval_s: float = Field(default=0.5, gt=0)


class AssessmentPlan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = "tc260"
    standard: str = "TC260-003 / GB/T 45654-2025"
    seed: int = 20240229
    samples: dict[Kind, int] = Field(
        default_factory=lambda: {Kind.GENERATED_CONTENT: 1000, Kind.SHOULD_REFUSE: 300, Kind.SHOULD_ANSWER: 300}
    )
    judges: list[JudgeConfig] = Field(
        default_factory=lambda: [JudgeConfig(name="refusal"), JudgeConfig(name="keyword"), JudgeConfig(name="harm")]
    )
    gates: list[GateSpec] = Field(default_factory=lambda: list(TC260_GATES))
    execution: ExecutionSettings = Field(default_factory=ExecutionSettings)

    @field_validator("samples")
    @classmethod
    def _positive(cls, v: dict[Kind, int]) -> dict[Kind, int]:
        for k, n in v.items():
            if n < 0:
                raise ValueError(f"sample size for {k.value} must be >= 0 (got {n})")
        return v


def tc260_plan(**overrides: Any) -> AssessmentPlan:
    """The standard's plan: 1,000 generated-content, 300 should-refuse, 300 should-answer."""
    return AssessmentPlan(**overrides)


def quick_plan(**overrides: Any) -> AssessmentPlan:
    """A small plan for a first look (e.g. a 135M local model on CPU): same gates, small
    samples, so every sample-size clause reads 不符合 and says so."""
    base: dict[str, Any] = {
        "name": "quick",
        "samples": {Kind.GENERATED_CONTENT: 40, Kind.SHOULD_REFUSE: 30, Kind.SHOULD_ANSWER: 30},
    }
    base.update(overrides)
    return AssessmentPlan(**base)


PLANS = {"tc260": tc260_plan, "quick": quick_plan}
