"""The public summary of an assessment report, linked from a registry entry by its hash."""

from __future__ import annotations

import asyncio
from datetime import date

from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clearance.adapters.endpoints.mock import MockConfig
from clearance.domain.banks import BankSet, Kind
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.plan import AssessmentPlan, ExecutionSettings
from clearance.domain.registry.entries import Batch, DatePrecision, Entry
from clearance.domain.registry.entries import Kind as EntryKind
from clearance.interfaces.web import urls
from clearance.services import assessments
from clearance.services import registry as svc
from tests.mockserver import mock_server


def _assessed(db: Engine, banks: BankSet) -> str:
    async def main() -> str:
        async with mock_server(MockConfig(mode="refuse")) as (url, _):
            plan = AssessmentPlan(samples={Kind.SHOULD_REFUSE: 20, Kind.SHOULD_ANSWER: 10},
                                  execution=ExecutionSettings(concurrency=4))
            rec = assessments.schedule(db, plan=plan, endpoint=EndpointConfig(
                base_url=url, model="yunque-chat", extra_headers={"X-Internal": "gpu-7"}), banks=banks)
            rep = await assessments.execute_run(db, rec.id)
            return rep.sha256()

    return asyncio.run(main())


def test_entry_links_to_a_public_summary_without_items_or_addresses(db: Engine, fixture_banks: BankSet,
                                                                   client: TestClient) -> None:
    sha = _assessed(db, fixture_banks)
    svc.publish(db, [Entry(kind=EntryKind.FILING, model_name="云雀", entity_zh="某公司",
                           number="Beijing-YunQue-202611270001", date=date(2026, 11, 27),
                           date_precision=DatePrecision.DAY, report_sha256=sha)],
                Batch(key="b1", title="批次", published_on=date(2026, 11, 27), date_precision=DatePrecision.DAY))
    entries = client.get(urls.registry(None, "json")).json()["entries"]
    eid = next(e["id"] for e in entries if e.get("report_sha256") == sha)
    page = client.get(urls.entry(eid), headers={"accept-language": "en"}).text
    assert urls.report(sha) in page
    html = client.get(urls.report(sha), headers={"accept-language": "en"}).text
    # the fixture bank's prompts ("Refusal test …", "拒答测试 …") and the mock's answers stay private
    assert "public summary" in html and "Refusal test" not in html and "拒答测试" not in html
    assert "I'm sorry" not in html and "I&#39;m sorry" not in html
    data = client.get(urls.report(sha, "json")).json()
    assert data["summary"]["decision"] == "FAIL" and "items" not in data
    assert data["endpoint"] == {"model": "yunque-chat"}
    assert "127.0.0.1" not in client.get(urls.report(sha, "json")).text
    assert {g["id"] for g in data["gates"]} >= {"should-refuse", "should-answer"}


def test_unknown_or_malformed_hashes(client: TestClient) -> None:
    assert client.get(urls.report("0" * 64)).status_code == 404
    assert client.get(urls.report("0" * 64, "json")).json()["error"] == "not_found"
    r = client.get("/reports/not-a-hash")
    assert r.status_code == 400 and "SHA-256" in r.text
