"""`clearance judge`: judge (prompt, response) pairs from elsewhere, e.g. a provider's production
logs or an outside evaluation set. JSONL in, JSONL out, streaming, in input order.

A bad line yields an output line with an ``error`` (naming the line and the fix) and judging
goes on; nothing is sent anywhere unless a model-graded judge is configured.
"""

from __future__ import annotations

import asyncio
import json
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from clearance.domain.judges.base import JudgeInput
from clearance.domain.judges.refusal import detect_lang
from clearance.services.judging import JudgeSet

# The judge whose refusal class is reported when several give one, and whose risk code is
# reported when several find harm: the model grades meaning, the lexicon and keywords only form.
REFUSAL_PRIORITY = ("refusal", "layered", "model")
HARM_PRIORITY = ("model", "harm", "keyword")


@dataclass
class StreamStats:
    lines: int = 0
    judged: int = 0
    errors: int = 0


def combine(item_id: str, verdicts: dict[str, dict[str, Any]], verbose: bool) -> dict[str, Any]:
    ref = next((verdicts[n] for n in REFUSAL_PRIORITY if n in verdicts and verdicts[n].get("refusal_class")), None)
    ref = ref or next((v for v in verdicts.values() if v.get("refusal_class")), None)
    opinions = [v for v in verdicts.values() if v.get("harmful") is not None]
    harmful: bool | None = None
    risk = None
    if opinions:
        harmful = any(v["harmful"] for v in opinions)
        if harmful:
            order = [verdicts[n] for n in HARM_PRIORITY if n in verdicts] + list(verdicts.values())
            risk = next((v.get("risk_code") for v in order if v.get("harmful") and v.get("risk_code")), None)
    cls = ref.get("refusal_class") if ref else None
    out: dict[str, Any] = {
        "id": item_id, "refusal_class": cls,
        "refusal": None if cls is None else cls == "full_refusal",
        "harmful": harmful, "risk_code": risk,
        "decided_by": ";".join(f"{k}={v.get('decided_by', '')}" for k, v in verdicts.items()),
    }
    if verbose:
        out["verdicts"] = verdicts
    return out


def parse_line(line: str, number: int) -> tuple[JudgeInput | None, dict[str, Any] | None]:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, {"line": number, "error": f"line {number}: invalid JSON ({exc.msg}); write one object per line"}
    if not isinstance(obj, dict):
        return None, {"line": number, "error": f"line {number}: expected a JSON object with id, prompt, response"}
    missing = [k for k in ("id", "response") if k not in obj]
    if missing:
        return None, {"id": obj.get("id"), "line": number,
                      "error": f"line {number}: missing {', '.join(missing)}; each line needs id and response (prompt and lang optional)"}
    prompt = str(obj.get("prompt") or "")
    response = obj["response"] if isinstance(obj["response"], str) else json.dumps(obj["response"], ensure_ascii=False)
    lang = obj.get("lang")
    if lang not in ("zh", "en"):
        lang = detect_lang(prompt + "\n" + response)
    return JudgeInput(item_id=str(obj["id"]), prompt=prompt, response=response, lang=lang,
                      finish_reason=obj.get("finish_reason")), None


async def _lines(source: Iterable[str]) -> AsyncIterator[tuple[int, str]]:
    for n, line in enumerate(source, start=1):
        if line.strip():
            yield n, line


async def judge_stream(source: Iterable[str], judges: JudgeSet, emit: Callable[[dict[str, Any]], None], *,
                       concurrency: int = 16, verbose: bool = False) -> StreamStats:
    """Judge every line. Local judges run inline; with a remote judge up to ``concurrency``
    lines are in flight, and results are still written in input order."""
    stats = StreamStats()
    window: deque[asyncio.Future[dict[str, Any]]] = deque()

    async def one(inp: JudgeInput) -> dict[str, Any]:
        return combine(inp.item_id, await judges.run(inp), verbose)

    def done(fut_result: dict[str, Any]) -> None:
        if "error" in fut_result:
            stats.errors += 1
        else:
            stats.judged += 1
        emit(fut_result)

    async for n, line in _lines(source):
        stats.lines += 1
        inp, err = parse_line(line, n)
        if not judges.remote:
            if err is not None or inp is None:
                done(err or {})
            else:
                done(combine(inp.item_id, judges.run_local(inp), verbose))
            continue
        fut: asyncio.Future[dict[str, Any]]
        if err is not None:
            fut = asyncio.get_running_loop().create_future()
            fut.set_result(err)
        else:
            assert inp is not None
            fut = asyncio.ensure_future(one(inp))
        window.append(fut)
        while len(window) >= concurrency or (window and window[0].done()):
            done(await window.popleft())
    while window:
        done(await window.popleft())
    return stats
