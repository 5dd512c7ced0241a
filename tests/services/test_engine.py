"""The engine against the mock endpoint over real HTTP: faults, retries, limits, persistence."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

import pytest

from clearance.adapters.endpoints.mock import MockConfig
from clearance.adapters.endpoints.openai import OpenAIChatEndpoint, parse_retry_after
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.plan import ExecutionSettings, JudgeConfig
from clearance.domain.results import ItemResult, RunItem
from clearance.services import judging
from clearance.services.engine import execute
from tests.mockserver import mock_server
from tests.servers import free_port


def _items(n: int, lang: str = "en") -> list[RunItem]:
    return [RunItem(item_id=f"i{k:04d}", seq=k, kind="should-refuse", stratum="A.1a", lang=lang,
                    prompt=f"question number {k}") for k in range(n)]


def _run(config: MockConfig, items: Sequence[RunItem], *, url: str | None = None,
         timeout_s: float = 5.0, **settings: object) -> tuple[list[ItemResult], dict[str, int], list[int]]:
    stored: list[ItemResult] = []
    batches: list[int] = []

    def store(batch: Sequence[ItemResult]) -> None:
        batches.append(len(batch))
        stored.extend(batch)

    async def main() -> dict[str, int]:
        async with mock_server(config) as (base, mock):
            ep = OpenAIChatEndpoint(EndpointConfig(base_url=url or base, model="m", timeout_s=timeout_s))
            js = judging.build([JudgeConfig(name="refusal")], judging.JudgeContext())
            s = ExecutionSettings(**{"concurrency": 8, "backoff_base_s": 0.01, "backoff_max_s": 0.05, **settings})
            try:
                await execute(items, ep, js, s, store)
            finally:
                await ep.aclose()
            return dict(mock.calls)

    calls = asyncio.run(main())
    return stored, calls, batches


def test_all_items_complete_judged_and_stored_in_batches() -> None:
    stored, calls, batches = _run(MockConfig(mode="refuse"), _items(50), flush_every=16)
    assert len(stored) == 50 and {r.status for r in stored} == {"done"}
    assert all(r.verdicts["refusal"]["refusal_class"] == "full_refusal" for r in stored)
    assert sum(calls.values()) == 50
    assert max(batches) <= 16


def test_transient_500s_are_retried_to_success() -> None:
    stored, calls, _ = _run(MockConfig(fail_first=2, fail_status=500), _items(10))
    assert all(r.status == "done" and r.attempts == 3 for r in stored)
    assert set(calls.values()) == {3}


def test_permanent_500s_are_recorded_as_errors_never_dropped() -> None:
    stored, _, _ = _run(MockConfig(error_rate=1.0, fault_scope="prompt"), _items(6), max_retries=2)
    assert len(stored) == 6
    assert all(r.status == "error" and r.error_type == "http_5xx" and r.attempts == 3 for r in stored)
    assert "after 3 attempts" in (stored[0].error or "")


def test_429_retry_after_is_honoured() -> None:
    t0 = time.monotonic()
    stored, _, _ = _run(MockConfig(fail_first=1, fail_status=429, retry_after=0.4), _items(4))
    assert time.monotonic() - t0 >= 0.4
    assert all(r.status == "done" and r.attempts == 2 for r in stored)


def test_timeouts_are_retried_then_recorded() -> None:
    stored, _, _ = _run(MockConfig(hang_rate=1.0, hang_s=5, fault_scope="prompt"), _items(3),
                        timeout_s=0.2, max_retries=1)
    assert all(r.status == "error" and r.error_type == "timeout" for r in stored)


def test_item_timeout_bounds_the_whole_item() -> None:
    stored, _, _ = _run(MockConfig(hang_rate=1.0, hang_s=5, fault_scope="prompt"), _items(2),
                        timeout_s=3, item_timeout_s=0.3)
    assert all(r.error_type == "item_timeout" for r in stored)


def test_malformed_json_is_an_error_after_retries() -> None:
    stored, _, _ = _run(MockConfig(malformed_rate=1.0, fault_scope="prompt"), _items(3), max_retries=1)
    assert all(r.status == "error" and r.error_type == "malformed" for r in stored)


def test_empty_content_is_a_response_judged_as_refusal_by_signal() -> None:
    stored, _, _ = _run(MockConfig(empty_rate=1.0), _items(3))
    assert all(r.status == "done" and r.response == "" for r in stored)
    assert all(r.verdicts["refusal"]["decided_by"] == "signal:empty" for r in stored)


def test_connection_refused_is_recorded() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    stored, calls, _ = _run(MockConfig(), _items(3), url=url, max_retries=1)
    assert calls == {}
    assert all(r.status == "error" and r.error_type == "connection" for r in stored)


def test_requests_per_minute_limit_spaces_requests() -> None:
    # 600 rpm = 10/s with a one-second bucket: the first 10 go at once, 15 more need 1.5 s
    t0 = time.monotonic()
    stored, _, _ = _run(MockConfig(), _items(25), requests_per_minute=600)
    assert time.monotonic() - t0 >= 1.3 and len(stored) == 25


def test_tokens_per_minute_limit_uses_actual_usage() -> None:
    # the mock reports len(prompt)/2 prompt tokens: 2,000 characters = 1,000 tokens per item.
    # 120k tpm = 2,000 tokens/s with a one-second bucket: 6 items (~6,200 tokens) need >= 2 s.
    long = [RunItem(item_id=f"l{k}", seq=k, kind="should-refuse", stratum="A.1a", lang="en",
                    prompt=f"{k} " + "x" * 2000) for k in range(6)]
    t0 = time.monotonic()
    _run(MockConfig(), long, tokens_per_minute=120_000, concurrency=4)
    assert time.monotonic() - t0 >= 1.5


@pytest.mark.parametrize(("value", "expected"), [("3", 3.0), ("0.5", 0.5), (None, None), ("soon", None)])
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value) == expected


def test_parse_retry_after_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    assert 25 <= (parse_retry_after(when) or 0) <= 31
