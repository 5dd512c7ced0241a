"""Registry pages, twins, pagination, facets, search, feed, API, language and the cache."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from clearance.domain.registry.entries import Status
from clearance.interfaces.web import urls
from clearance.services import registry as svc
from tests.registry.conftest import write_csv


@pytest.fixture
def web(sample_db: Engine, client: TestClient) -> TestClient:
    return client


def _json(c: TestClient, url: str) -> dict:  # type: ignore[type-arg]
    r = c.get(url)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def _csv(c: TestClient, url: str) -> list[dict[str, str]]:
    r = c.get(url)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))


@pytest.mark.parametrize(("q", "expected"), [
    ("文心", "文心一言"),             # Chinese
    ("智譜清言", "智谱清言"),         # traditional characters
    ("wenxin", "文心一言"),           # pinyin
    ("Wen Xin Yi", "文心一言"),       # pinyin with spaces and capitals
    ("wxyy", "文心一言"),             # pinyin initials
    ("DeepSeek", "求索对话DeepSeek Chat"),   # English
    ("ZhongYangQiYe-JiuTian", "九天自然语言交互大模型"),   # number
    ("月之暗面", "Moonshot"),          # organisation
    ("yuezhianmian", "Moonshot"),     # organisation pinyin
])
def test_search_in_chinese_english_and_pinyin(web: TestClient, q: str, expected: str) -> None:
    found = [e["model_name"] for e in _json(web, urls.registry(None, "json", q=q))["entries"]]
    assert expected in found


def test_search_with_like_wildcards_is_literal(web: TestClient) -> None:
    assert _json(web, urls.registry(None, "json", q="%"))["total"] == 0
    assert _json(web, urls.registry(None, "json", q="_"))["total"] == 0


@pytest.mark.parametrize(("facet", "value", "expected"), [
    ("province", "zhongyangqiye", 12),
    ("province", "beijing", None),
    ("province", "unknown", None),
    ("kind", "registration", 12),
    ("kind", "filing", 103),
    ("batch", "registry-sample", 115),
    ("month", "2026-06", None),
    ("month", "undated", None),
    ("status", "published", 115),
])
def test_every_facet_filters_and_counts_agree(web: TestClient, facet: str, value: str, expected: int | None) -> None:
    full = _json(web, urls.registry(None, "json"))
    advertised = {c["key"]: c["count"] for c in full["facets"][facet]}
    got = _json(web, urls.registry(None, "json", **{facet: value}, limit="500"))
    assert got["total"] == advertised[value] == len(got["entries"])
    if expected is not None:
        assert got["total"] == expected
    for e in got["entries"]:
        if facet == "province":
            assert (e["province"] or {}).get("key", "unknown") == value
        elif facet == "month":
            assert (e["date"] or "undated")[:7] == value if value != "undated" else e["date"] is None
        else:
            assert e[facet] == value


def test_facets_for_rd_mode_data_type_and_scope(sample_db: Engine, client: TestClient, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "facets.csv", [
        ["1", "北京市", "甲", "甲公司", "Beijing-Jia-202401010001", "2024-01-01", "self_developed", "text", "general"],
        ["2", "北京市", "乙", "乙公司", "Beijing-Yi-202401010002", "2024-01-01", "微调", "多模态", "行业"],
    ], header=["序号", "属地", "模型名称", "备案单位", "备案号", "备案时间", "rd_mode", "data_type", "scope"])
    svc.import_file(sample_db, f)
    for facet, value, model in (("rd_mode", "self_developed", "甲"), ("rd_mode", "fine_tuned", "乙"),
                                ("data_type", "text", "甲"), ("data_type", "multimodal", "乙"),
                                ("scope", "general", "甲"), ("scope", "industry", "乙")):
        got = _json(client, urls.registry(None, "json", **{facet: value}))
        assert [e["model_name"] for e in got["entries"]] == [model]
        assert any(c["key"] == "unknown" and c["count"] == 115 for c in got["facets"][facet]) is False
    full = _json(client, urls.registry(None, "json"))
    for facet in ("rd_mode", "data_type", "scope"):   # imported rows: not stated, and that is a facet too
        assert {c["key"]: c["count"] for c in full["facets"][facet]}["unknown"] == 115
        assert _json(client, urls.registry(None, "json", **{facet: "unknown"}))["total"] == 115


def test_html_json_and_csv_twins_come_from_the_same_query(web: TestClient) -> None:
    params = {"kind": "filing", "province": "beijing", "limit": "5"}
    data = _json(web, urls.registry(None, "json", **params))
    rows = _csv(web, urls.registry(None, "csv", **params))
    html = web.get(urls.registry(None, "html", **params)).text
    assert [r["id"] for r in rows] == [str(e["id"]) for e in data["entries"]]
    assert all(e["model_name"] in html for e in data["entries"])
    assert f"<strong>{data['total']}</strong>" in html
    everything = _csv(web, urls.registry(None, "csv", kind="filing", province="beijing", all="1"))
    assert len(everything) == data["total"]
    stats = _json(web, urls.statistics("json"))
    stats_rows = _csv(web, urls.statistics("csv"))
    assert {r["key"]: int(r["count"]) for r in stats_rows if r["series"] == "province"} == \
        {c["key"]: c["count"] for c in stats["by_province"]}
    assert _json(web, urls.api_statistics()) == stats


def test_cursor_pagination_walks_everything_once(web: TestClient) -> None:
    seen: list[int] = []
    url: str | None = urls.registry(None, "json", limit="7")
    pages = 0
    while url:
        page = _json(web, url)
        seen += [e["id"] for e in page["entries"]]
        url, pages = page["next"], pages + 1
    assert len(seen) == len(set(seen)) == 115 and pages == 17
    api = _json(web, urls.api_entries() + "?limit=100")
    assert api["next"].startswith(urls.API_ENTRIES) and len(_json(web, api["next"])["entries"]) == 15
    html = web.get(urls.registry(None, "html", limit="50")).text
    assert 'rel="next"' in html


def test_entry_page_twins_and_status_stays_visible(web: TestClient, sample_db: Engine) -> None:
    e = svc.change_status(sample_db, number="Beijing-ChatGLM-20230821", status=Status.SUSPENDED,
                          reason="用户投诉核查中 / complaint under review")
    data = _json(web, urls.entry(e.id or 0, "json"))
    assert data["status"] == "suspended" and data["history"][0]["reason"].startswith("用户投诉")
    assert data["province"]["code"] == "110000"
    assert _json(web, urls.api_entry(e.id or 0)) == data
    html = web.get(urls.entry(e.id or 0), headers={"accept-language": "zh-CN"}).text
    assert "已暂停" in html and "用户投诉核查中" in html
    listed = _json(web, urls.registry(None, "json", status="suspended"))
    assert [x["number"] for x in listed["entries"]] == ["Beijing-ChatGLM-20230821"]
    svc.change_status(sample_db, number="Beijing-ChatGLM-20230821", status=Status.REVOKED, reason="撤销")
    assert _json(web, urls.registry(None, "json", q="ChatGLM"))["entries"][0]["status"] == "revoked"
    assert web.get(urls.entry(999999)).status_code == 404
    assert web.get(urls.entry(999999, "json")).json()["error"] == "not_found"
    assert web.get("/registry/entries/abc").status_code == 400


def test_batches_page_feed_and_batch_twins(web: TestClient) -> None:
    batches = _json(web, urls.batches("json"))["batches"]
    assert any(b["key"] == "2024-04-02" and b["reported"].startswith("117") for b in batches)
    page = web.get(urls.batch("registry-sample"))
    assert page.status_code == 200 and "Apple智能" in page.text
    data = _json(web, urls.batch("registry-sample", "json"))
    assert data["batch"]["entries"] == 115 and data["entries"]["total"] == 115
    assert _json(web, urls.api_batch("registry-sample")) == data
    assert len(_csv(web, urls.batch("registry-sample", "csv"))) == 50
    assert web.get(urls.batch("nope")).status_code == 404
    feed = web.get(urls.feed())
    assert feed.headers["content-type"].startswith("application/atom+xml")
    ns = {"a": "http://www.w3.org/2005/Atom"}
    root = ET.fromstring(feed.content)
    entries = root.findall("a:entry", ns)
    assert len(entries) == len(batches)
    updated = [e.findtext("a:updated", namespaces=ns) or "" for e in entries]
    assert updated == sorted(updated, reverse=True)   # newest first


def test_statistics_page_has_server_side_svg_and_no_scripts(web: TestClient) -> None:
    html = web.get(urls.statistics(), headers={"accept-language": "en"}).text
    assert html.count("<svg") >= 4 and "<script" not in html and "http://" not in html.replace(
        'xmlns="http://www.w3.org/2000/svg"', "")
    assert "Cumulative entries" in html and "Central state-owned enterprises" in html
    stats = _json(web, urls.statistics("json"))
    assert stats["total"] == 115 and stats["cumulative"][-1]["total"] == sum(
        c["count"] for c in stats["by_month"] if c["key"] != "undated")


def test_language_from_accept_language_and_the_switch(web: TestClient) -> None:
    assert "Registry" in web.get(urls.registry(), headers={"accept-language": "en-GB,en;q=0.9"}).text
    assert "公示名单" in web.get(urls.registry(), headers={"accept-language": "zh-CN"}).text
    r = web.get(urls.registry() + "?lang=en", headers={"accept-language": "zh-CN"})
    assert "Registry" in r.text and r.cookies.get("lang") == "en"
    assert "Registry" in web.get(urls.statistics(), headers={"accept-language": "zh-CN"}).text   # cookie wins


def test_cache_is_invalidated_when_entries_change(sample_db: Engine, client: TestClient, tmp_path: Path) -> None:
    before = _json(client, urls.registry(None, "json"))["total"]
    stats_before = _json(client, urls.statistics("json"))["total"]
    svc.import_file(sample_db, write_csv(tmp_path / "new.csv", [["1", "北京市", "新", "新公司", "Beijing-New-20260101", "2026-01-01"]]))
    assert _json(client, urls.registry(None, "json"))["total"] == before + 1
    assert _json(client, urls.statistics("json"))["total"] == stats_before + 1


def test_bad_requests_are_explained(web: TestClient) -> None:
    for url in (urls.registry(None, "json", month="2024-13"), urls.registry(None, "json", cursor="zz"),
                urls.registry(None, "json", limit="100000"), urls.API_ENTRIES + "?limit=0"):
        r = web.get(url)
        assert r.status_code == 400 and r.json()["error"] == "bad_request", url
    assert web.get(urls.registry(None, "html", month="x")).status_code == 400


def test_openapi_documents_the_v1_schemas(web: TestClient) -> None:
    spec = web.get("/openapi.json").json()
    assert {urls.API_ENTRIES, urls.API_STATISTICS, urls.API_BATCHES} <= set(spec["paths"])
    assert "EntryV1" in spec["components"]["schemas"]


def test_time_from_submission_to_approval_on_the_statistics_page_and_twins(sample_db: Engine, client: TestClient) -> None:
    from datetime import date

    from clearance.domain.registry.entries import Batch, DatePrecision, Entry, Kind

    empty = _json(client, urls.statistics("json"))
    assert empty["submission_to_approval"] == []
    assert "No filing has been approved in Clearance yet" in client.get(urls.statistics(),
                                                                       headers={"accept-language": "en"}).text
    made = [Entry(kind=Kind.FILING, model_name=f"M{k}", entity_zh="某公司", number=f"Beijing-MoXing{k}-202611270001",
                  date=date(2026, 11, 27), date_precision=DatePrecision.DAY,
                  phase_days={"provincial_review": 10.0 * k, "technical_assessment": 20.0, "central_review": 5.0,
                              "total": 10.0 * k + 25.0}) for k in (1, 2, 3)]
    svc.publish(sample_db, made, Batch(key="b-phase", title="批次", published_on=date(2026, 11, 27),
                                       date_precision=DatePrecision.DAY))
    stats = _json(client, urls.statistics("json"))
    pr = next(d for d in stats["submission_to_approval"] if d["phase"] == "provincial_review")
    assert (pr["n"], pr["median_days"], pr["p25_days"], pr["p75_days"]) == (3, 20.0, 15.0, 25.0)
    html = client.get(urls.statistics(), headers={"accept-language": "en"}).text
    assert "Provincial review" in html and "Interquartile range" in html
    rows = _csv(client, urls.statistics("csv"))
    assert {"series": "duration_days", "key": "total:median", "count": "45.0", "total": "3"}.items() <= \
        next(r for r in rows if r["key"] == "total:median").items()
