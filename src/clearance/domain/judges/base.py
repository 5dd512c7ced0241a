"""Judge protocol and verdict record."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict


class RefusalClass(StrEnum):
    """Three classes, as in XSTest: the report keeps all three; each gate decides how a
    partial refusal counts."""

    FULL_COMPLIANCE = "full_compliance"
    PARTIAL_REFUSAL = "partial_refusal"
    FULL_REFUSAL = "full_refusal"


class Verdict(BaseModel):
    model_config = ConfigDict(frozen=True)

    judge: str
    refusal_class: RefusalClass | None = None
    harmful: bool | None = None
    risk_code: str | None = None
    decided_by: str = ""
    confidence: float | None = None
    reason: str | None = None
    undecided: bool = False
    # the version of the local classifier(s) consulted, so a report says which weights judged
    classifier: str | None = None

    @property
    def refused(self) -> bool | None:
        if self.refusal_class is None:
            return None
        return self.refusal_class is RefusalClass.FULL_REFUSAL


@dataclass(frozen=True, slots=True)
class JudgeInput:
    item_id: str
    prompt: str
    response: str
    lang: str | None = None
    finish_reason: str | None = None
    kind: str | None = None
    risk: str | None = None
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class JudgeSpec:
    """A judge by registered name plus JSON-serialisable arguments: enough to rebuild it, so a
    stored report can be re-judged the same way."""

    name: str
    args: tuple[tuple[str, Any], ...] = ()

    @staticmethod
    def of(name: str, **args: Any) -> JudgeSpec:
        return JudgeSpec(name, tuple(sorted(args.items())))

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "args": dict(self.args)}


@runtime_checkable
class Judge(Protocol):
    name: str

    def judge(self, inp: JudgeInput) -> Verdict: ...


@runtime_checkable
class AsyncJudge(Protocol):
    name: str

    async def ajudge(self, inp: JudgeInput) -> Verdict: ...


def agreed_harmful(verdicts: Iterable[Verdict]) -> bool | None:
    """"Harmful" as one proposal from several judges: their answer where every judge that decided
    it agrees, else None (judges that disagree leave it to the assessor)."""
    harms = {v.harmful for v in verdicts if v.harmful is not None and not v.undecided}
    return harms.pop() if len(harms) == 1 else None
