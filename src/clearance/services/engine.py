"""The execution engine: sends items to an endpoint with bounded concurrency, rate limits,
retries and timeouts; judges each response; persists results in batches as they complete.

Crash safety: a result is written in the same batch as its verdicts, and a resumed run only
sends items that have no stored result, so no item is sent to the model again once its result
is stored. A batch that was in memory when the process died is simply sent again.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from clearance.adapters.endpoints.base import ChatEndpoint, EndpointError, Message
from clearance.domain.judges.base import JudgeInput
from clearance.domain.plan import ExecutionSettings
from clearance.domain.results import ItemResult, RunItem
from clearance.services.judging import JudgeSet
from clearance.services.ratelimit import RateLimiter, estimate_tokens

StoreFn = Callable[[Sequence[ItemResult]], None]


@dataclass
class Progress:
    total: int
    done: int = 0
    errors: int = 0
    started: float = field(default_factory=time.monotonic)
    # running counts of refusals per kind (full refusals) and keyword hits on generated content
    by_kind: dict[str, list[int]] = field(default_factory=dict)
    error_types: dict[str, int] = field(default_factory=dict)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        e = self.elapsed
        return self.done / e if e > 0 else 0.0

    def record(self, item: RunItem, result: ItemResult) -> None:
        self.done += 1
        if result.status == "error":
            self.errors += 1
            self.error_types[result.error_type or "error"] = self.error_types.get(result.error_type or "error", 0) + 1
            return
        stats = self.by_kind.setdefault(item.kind, [0, 0])
        stats[1] += 1
        if item.kind == "generated-content":
            kw = result.verdicts.get("keyword")
            stats[0] += 1 if kw is not None and kw.get("harmful") is False else 0
        else:
            ref = result.verdicts.get("refusal")
            stats[0] += 1 if ref is not None and ref.get("refusal_class") == "full_refusal" else 0


class _Sink:
    """Collects results and writes them in batches on a worker thread, one batch at a time,
    so the event loop never waits on the database."""

    def __init__(self, store: StoreFn, every: int, interval: float) -> None:
        self._store = store
        self._every = every
        self._interval = interval
        self._buf: list[ItemResult] = []
        self._queue: asyncio.Queue[list[ItemResult] | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop())
        self._ticker = asyncio.create_task(self._tick())
        self.stored = 0

    def add(self, r: ItemResult) -> None:
        self._buf.append(r)
        if len(self._buf) >= self._every:
            self._cut()

    def _cut(self) -> None:
        if self._buf:
            self._queue.put_nowait(self._buf)
            self._buf = []

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            self._cut()

    async def _write_loop(self) -> None:
        while True:
            batch = await self._queue.get()
            if batch is None:
                return
            await asyncio.to_thread(self._store, batch)
            self.stored += len(batch)

    async def close(self) -> None:
        self._ticker.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._ticker
        self._cut()
        self._queue.put_nowait(None)
        await self._writer


def backoff_delay(attempt: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with equal jitter: half fixed, half random, so synchronised
    clients spread out without ever retrying immediately."""
    d = min(cap, base * float(2 ** (attempt - 1)))
    return d / 2 + rng.random() * d / 2


async def run_one(item: RunItem, endpoint: ChatEndpoint, limiter: RateLimiter,
                  settings: ExecutionSettings, max_tokens: int | None, rng: random.Random) -> ItemResult:
    msgs = ([Message("system", item.system)] if item.system else []) + [Message("user", item.prompt)]
    attempts = 0
    last: EndpointError | None = None
    est = estimate_tokens(item.prompt + (item.system or ""), max_tokens) if limiter.active else 0
    try:
        async with asyncio.timeout(settings.item_timeout_s):
            while True:
                attempts += 1
                await limiter.acquire(est)
                try:
                    c = await endpoint.complete(msgs)
                except EndpointError as exc:
                    last = exc
                    limiter.settle(est, 0)
                    if not exc.retryable or attempts > settings.max_retries:
                        break
                    delay = backoff_delay(attempts, settings.backoff_base_s, settings.backoff_max_s, rng)
                    if exc.retry_after is not None:
                        delay = min(max(exc.retry_after, 0.0) + rng.random() * 0.1, max(settings.backoff_max_s, exc.retry_after))
                    await asyncio.sleep(delay)
                    continue
                used = None if c.prompt_tokens is None else c.prompt_tokens + (c.completion_tokens or 0)
                limiter.settle(est, used)
                return ItemResult(item_id=item.item_id, status="done", response=c.text,
                                  finish_reason=c.finish_reason, latency_ms=round(c.latency_ms, 3),
                                  prompt_tokens=c.prompt_tokens, completion_tokens=c.completion_tokens,
                                  attempts=attempts)
    except TimeoutError:
        return ItemResult(item_id=item.item_id, status="error", attempts=attempts, error_type="item_timeout",
                          error=f"no result within the item timeout of {settings.item_timeout_s:g}s"
                          + (f"; last error: {last}" if last else ""))
    assert last is not None
    return ItemResult(item_id=item.item_id, status="error", attempts=attempts, error_type=last.kind,
                      error=f"{last} (after {attempts} attempt{'s' if attempts != 1 else ''})")


async def execute(items: Sequence[RunItem], endpoint: ChatEndpoint, judges: JudgeSet,
                  settings: ExecutionSettings, store: StoreFn, *, max_tokens: int | None = None,
                  progress: Progress | None = None,
                  on_progress: Callable[[Progress], None] | None = None, seed: int = 0) -> Progress:
    prog = progress or Progress(total=len(items))
    # The banks, keyword automaton and run items are long-lived: moving them out of the
    # collector's generations keeps full collections short while the loop is busy (report
    # writing after a 3,000-item run: 0.45 -> 0.28 s). Unfrozen at the end, so a long-lived
    # process (the web server) still collects cycles among them later.
    gc.freeze()
    limiter = RateLimiter(settings.requests_per_minute, settings.tokens_per_minute)
    sink = _Sink(store, settings.flush_every, settings.flush_interval_s)
    it = iter(items)
    rng = random.Random(seed)

    async def finish(item: RunItem, result: ItemResult) -> None:
        if result.status == "done":
            inp = JudgeInput(item_id=item.item_id, prompt=item.prompt, response=result.response or "",
                             lang=item.lang, finish_reason=result.finish_reason, kind=item.kind,
                             risk=item.stratum, reference=item.reference)
            result.verdicts = await judges.run(inp) if judges.remote else judges.run_local(inp)
        sink.add(result)
        prog.record(item, result)
        if on_progress is not None:
            on_progress(prog)

    async def worker() -> None:
        # The shared iterator hands each item to exactly one worker. A worker sends its next
        # request *before* judging the answer it just got: when 64 answers arrive together,
        # judging them one after another on the event loop would otherwise delay the last
        # worker's next send by all the judging before it (measured: utilisation 0.95 -> 0.98
        # at 200 ms latency, concurrency 64).
        item = next(it, None)
        if item is None:
            return
        fut = asyncio.ensure_future(run_one(item, endpoint, limiter, settings, max_tokens, rng))
        try:
            while True:
                result = await fut
                done_item, item = item, next(it, None)
                if item is not None:
                    fut = asyncio.ensure_future(run_one(item, endpoint, limiter, settings, max_tokens, rng))
                    await asyncio.sleep(0)
                await finish(done_item, result)
                if item is None:
                    return
        finally:
            if not fut.done():
                fut.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await fut

    workers = [asyncio.create_task(worker()) for _ in range(min(settings.concurrency, max(1, len(items))))]
    try:
        await asyncio.gather(*workers)
    finally:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        # whatever completed is stored, also when cancelled (Ctrl-C) or when a worker failed
        await sink.close()
        gc.unfreeze()
    return prog
