"""A scripted OpenAI-compatible endpoint: a real HTTP server for tests, benchmarks and demos.

Every decision is a deterministic function of the prompt (and, for transient faults, of the
attempt number), so two runs against the same mock give the same answers, which is what lets
the crash test compare a resumed run with an uninterrupted one.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

REFUSAL_ZH = "抱歉，我无法协助完成这个请求。"
REFUSAL_EN = "I'm sorry, but I can't help with that request."
_CJK = re.compile(r"[\u4e00-\u9fff]")

MODES = ("comply", "refuse", "keyword", "file", "bank")


@dataclass
class MockConfig:
    mode: str = "comply"
    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    error_rate: float = 0.0
    rate_limit_rate: float = 0.0
    retry_after: float = 1.0
    malformed_rate: float = 0.0
    empty_rate: float = 0.0
    hang_rate: float = 0.0
    hang_s: float = 30.0
    fault_scope: str = "attempt"  # "attempt": transient; "prompt": the same prompt always fails
    fail_first: int = 0
    fail_status: int = 500
    refuse_keywords: tuple[str, ...] = ()
    answers_file: Path | None = None
    default_response: str | None = None  # file mode: the answer for prompts not in the file
    banks_dir: Path | None = None
    refuse_rate: float = 0.97
    over_refuse_rate: float = 0.03
    unsafe_rate: float = 0.04
    seed: int = 0


def _unit(*parts: object) -> float:
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2**64


def prompt_key(prompt: str) -> str:
    return hashlib.sha256(prompt.encode()).hexdigest()[:16]


@dataclass
class _BankIndex:
    kind: dict[str, str] = field(default_factory=dict)
    risk: dict[str, str] = field(default_factory=dict)
    terms: dict[str, list[str]] = field(default_factory=dict)


def _load_bank_index(root: Path) -> _BankIndex:
    from clearance.adapters.bankfiles import load_bank_set

    bs = load_bank_set(root)
    idx = _BankIndex()
    for kind, bank in bs.banks.items():
        for it in bank.items:
            idx.kind[it.prompt] = kind.value
            idx.risk[it.prompt] = it.stratum
    if bs.keywords is not None:
        for e in bs.keywords.entries:
            if e.base is None:
                idx.terms.setdefault(e.risk, []).append(e.term)
    return idx


class MockEndpoint:
    def __init__(self, config: MockConfig) -> None:
        if config.mode not in MODES:
            raise ValueError(f"unknown mode {config.mode!r}; choose one of {', '.join(MODES)}")
        self.config = config
        self.calls: Counter[str] = Counter()
        self.total = 0
        self.first_request_at: float | None = None
        self.answers: dict[str, dict[str, Any]] = {}
        if config.answers_file is not None:
            for line in config.answers_file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    obj = json.loads(line)
                    self.answers[obj["prompt"]] = obj
        self.bank = _load_bank_index(config.banks_dir) if config.mode == "bank" and config.banks_dir else _BankIndex()

    # --- answers -----------------------------------------------------------------------
    def _refusal(self, prompt: str) -> str:
        return REFUSAL_ZH if _CJK.search(prompt) else REFUSAL_EN

    def _compliance(self, prompt: str) -> str:
        topic = prompt.strip().replace("\n", " ")[:60]
        if _CJK.search(prompt):
            return (f"好的。关于“{topic}”，下面分几点说明：第一，先明确背景和相关概念；"
                    "第二，结合常见情况给出具体做法；第三，提醒需要注意的事项。希望对你有帮助。")
        return (f"Sure. About \"{topic}\": first, some background and the key concepts; second, "
                "the usual approach with concrete steps; third, points to watch out for. Hope this helps.")

    def answer(self, prompt: str) -> tuple[str, str]:
        c = self.config
        if c.mode == "refuse":
            return self._refusal(prompt), "stop"
        if c.mode == "keyword":
            low = prompt.lower()
            if any(k.lower() in low for k in c.refuse_keywords):
                return self._refusal(prompt), "stop"
            return self._compliance(prompt), "stop"
        if c.mode == "file":
            hit = self.answers.get(prompt)
            if hit is None:
                if c.default_response is not None:
                    return c.default_response, "stop"
                return self._compliance(prompt), "stop"
            return str(hit.get("response", "")), str(hit.get("finish_reason", "stop"))
        if c.mode == "bank":
            kind = self.bank.kind.get(prompt)
            u = _unit(c.seed, "policy", prompt)
            if kind == "should-refuse":
                return (self._refusal(prompt) if u < c.refuse_rate else self._compliance(prompt)), "stop"
            if kind == "should-answer":
                return (self._refusal(prompt) if u < c.over_refuse_rate else self._compliance(prompt)), "stop"
            if kind == "generated-content" and u < c.unsafe_rate:
                terms = self.bank.terms.get(self.bank.risk.get(prompt, ""), [])
                if terms:
                    term = terms[int(_unit(c.seed, "term", prompt) * len(terms))]
                    return self._compliance(prompt) + f" {term}", "stop"
            return self._compliance(prompt), "stop"
        return self._compliance(prompt), "stop"

    # --- HTTP ----------------------------------------------------------------------------
    async def chat(self, request: web.Request) -> web.StreamResponse:
        try:
            body = await request.json()
            messages = body["messages"]
            prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        except (ValueError, KeyError, TypeError, StopIteration):
            return web.json_response({"error": {"message": "bad request: need messages"}}, status=400)
        key = prompt_key(prompt)
        if self.first_request_at is None:
            self.first_request_at = time.time()
        self.calls[key] += 1
        self.total += 1
        attempt = self.calls[key]
        c = self.config
        if c.latency_ms or c.jitter_ms:
            delay = c.latency_ms + c.jitter_ms * _unit(c.seed, "jitter", prompt, attempt)
            await asyncio.sleep(delay / 1000)
        if attempt <= c.fail_first:
            return web.json_response({"error": {"message": "scripted failure"}}, status=c.fail_status,
                                     headers={"Retry-After": f"{c.retry_after:g}"} if c.fail_status == 429 else None)
        scope: tuple[object, ...] = (prompt,) if c.fault_scope == "prompt" else (prompt, attempt)
        u = _unit(c.seed, "fault", *scope)
        edge = c.hang_rate
        if u < edge:
            await asyncio.sleep(c.hang_s)
        edge += c.rate_limit_rate
        if edge - c.rate_limit_rate <= u < edge:
            return web.json_response({"error": {"message": "rate limited"}}, status=429,
                                     headers={"Retry-After": f"{c.retry_after:g}"})
        edge += c.error_rate
        if edge - c.error_rate <= u < edge:
            return web.json_response({"error": {"message": "internal error"}}, status=500)
        edge += c.malformed_rate
        if edge - c.malformed_rate <= u < edge:
            return web.Response(text='{"choices": [{"message": {"content": "trunc', content_type="application/json")
        edge += c.empty_rate
        if edge - c.empty_rate <= u < edge:
            text, finish = "", "stop"
        else:
            text, finish = self.answer(prompt)
        return web.json_response({
            "id": f"mock-{key}-{attempt}",
            "object": "chat.completion",
            "model": body.get("model", "mock"),
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                         "finish_reason": finish}],
            "usage": {"prompt_tokens": max(1, len(prompt) // 2),
                      "completion_tokens": max(1, len(text) // 2),
                      "total_tokens": max(1, len(prompt) // 2) + max(1, len(text) // 2)},
        })

    async def stats(self, _request: web.Request) -> web.Response:
        return web.json_response({"total": self.total, "calls": dict(self.calls),
                                  "first_request_at": self.first_request_at})

    async def reset(self, _request: web.Request) -> web.Response:
        self.calls.clear()
        self.total = 0
        self.first_request_at = None
        return web.json_response({"ok": True})

    async def models(self, _request: web.Request) -> web.Response:
        return web.json_response({"object": "list", "data": [{"id": "mock", "object": "model"}]})

    def app(self) -> web.Application:
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self.chat)
        app.router.add_get("/v1/models", self.models)
        app.router.add_get("/_mock/stats", self.stats)
        app.router.add_post("/_mock/reset", self.reset)
        return app


async def serve(config: MockConfig, host: str = "127.0.0.1", port: int = 0,
                ready: asyncio.Future[int] | None = None) -> None:
    """Serve until cancelled. Resolves ``ready`` with the bound port."""
    runner = web.AppRunner(MockEndpoint(config).app(), access_log=None, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, host, port, backlog=1024)
    await site.start()
    bound = runner.addresses[0][1] if runner.addresses else port
    if ready is not None and not ready.done():
        ready.set_result(int(bound))
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()
