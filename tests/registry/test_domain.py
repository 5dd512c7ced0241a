"""Registry domain: provinces, number formats, row conversion, statistics, query parsing."""

from __future__ import annotations

from datetime import date

import pytest

from clearance.domain.registry import numbers, provinces
from clearance.domain.registry import stats as st
from clearance.domain.registry.entries import Kind
from clearance.domain.registry.query import Cursor, QueryError, RegistryQuery
from clearance.domain.registry.rows import RawRow, convert, map_header, parse_date, section_of


def test_all_31_provinces_and_the_central_enterprises() -> None:
    assert len(provinces.PROVINCES) == 31
    assert len({p.code for p in provinces.PROVINCES}) == 31
    assert all(p.code and len(p.code) == 6 and p.code.endswith("0000") for p in provinces.PROVINCES)
    assert provinces.lookup("国资委") is provinces.CENTRAL
    assert provinces.by_prefix("ZhongYangQiYe") is provinces.CENTRAL
    for name in ("北京市", "北京", "Beijing", "110000", "beijing"):
        assert provinces.lookup(name) is provinces.BY_KEY["beijing"]
    assert provinces.by_prefix("zhejiang") is provinces.BY_KEY["zhejiang"]   # printed ZheJiang
    assert provinces.lookup("火星") is None


@pytest.mark.parametrize(("number", "province", "day", "seq"), [
    ("Beijing-WenXinYiYan-20230821", "beijing", date(2023, 8, 21), None),
    ("Beijing-DeepseekChat-202404280016", "beijing", date(2024, 4, 28), 16),
    ("ZheJiang-TongYiQianWen-20230901", "zhejiang", date(2023, 9, 1), None),
    ("ZhongYangQiYe-JiuTian-20240123", "zhongyangqiye", date(2024, 1, 23), None),
    ("Shanghai-MiniMax-202505230046", "shanghai", date(2025, 5, 23), 46),
])
def test_filing_numbers(number: str, province: str, day: date, seq: int | None) -> None:
    p = numbers.parse(number)
    assert (p.kind, p.province and p.province.key, p.issued_on, p.sequence) == ("filing", province, day, seq)


@pytest.mark.parametrize(("number", "message"), [
    ("Beijing-WenXin-20231301", "calendar date"),
    ("Mars-WenXin-20230821", "unknown province prefix"),
    ("WenXin20230821", "not a filing number"),
    ("Beijing-WenXin-2023082", "not a filing number"),
])
def test_bad_filing_numbers_say_what_is_wrong(number: str, message: str) -> None:
    with pytest.raises(numbers.NumberError, match=message):
        numbers.parse(number, "filing")


def test_registration_numbers() -> None:
    p = numbers.parse("20240315S0012")
    assert (p.kind, p.province, p.issued_on, p.sequence) == ("registration", None, date(2024, 3, 15), 12)
    assert numbers.parse("Shanghai-XiaoKe-20240315S0012").province == provinces.BY_KEY["shanghai"]
    with pytest.raises(numbers.NumberError):
        numbers.parse("Beijing-X-20240315", "registration")


def test_format_filing_number_round_trips() -> None:
    n = numbers.format_filing_number(provinces.BY_KEY["guangdong"], "ZhiNeng", date(2026, 1, 5), 7)
    assert n == "Guangdong-ZhiNeng-202601050007"
    assert numbers.parse(n).province == provinces.BY_KEY["guangdong"]


def test_headers_sections_and_dates() -> None:
    assert map_header(["序号", "属地", "模型名称", "备案单位", "备案号", "备案时间"]) is not None
    assert map_header(["序号", "属地", "模型名称", "备案单位", "上线编号", "登记时间"]) is not None
    assert map_header(["1", "北京市", "文心一言"]) is None
    assert section_of(["生成式人工智能服务已登记信息"]) is Kind.REGISTRATION
    assert section_of(["生成式人工智能服务已备案信息"]) is Kind.FILING
    assert parse_date("2023年8月31日")[0] == date(2023, 8, 31)
    assert parse_date("2026-04")[1] == "month"
    assert parse_date("20240102")[0] == date(2024, 1, 2)


def _row(n: int, **cells: str) -> RawRow:
    return RawRow("x.csv", n, cells)


def test_convert_derives_province_from_the_prefix_and_reports_every_problem() -> None:
    out = convert([
        _row(2, model_name="文心一言", entity="百度", number="Beijing-WenXinYiYan-20230821", date="2023-08-31"),
        _row(3, model_name="A", entity="B", number="Beijing-A-20231301", date="2023-13-01", province="火星"),
    ], batch="b")
    assert out.entries[0].province == "beijing" and out.entries[0].province_derived
    cols = sorted(e.column for e in out.errors)
    assert cols == ["备案号", "备案时间", "属地"]
    assert all(e.row == 3 and e.fix for e in out.errors)


def test_convert_drops_repeats_and_rejects_conflicting_duplicates() -> None:
    same = dict(model_name="文心一言", entity="百度", number="Beijing-WenXinYiYan-20230821", date="2023-08-31")
    out = convert([_row(2, **same), _row(3, **same)], batch=None)
    assert (len(out.entries), out.duplicates, out.errors) == (1, 1, [])
    out = convert([_row(2, **same), _row(3, **{**same, "model_name": "别的模型"})], batch=None)
    assert len(out.errors) == 1 and "duplicate number" in out.errors[0].problem and "x.csv:2" in out.errors[0].problem


def test_province_contradicting_the_number_is_an_error() -> None:
    out = convert([_row(2, model_name="m", entity="e", number="Beijing-M-20230821", province="上海市")], batch=None)
    assert out.errors and out.errors[0].column == "属地"


def test_statistics_shapes() -> None:
    cum = st.cumulative({date(2024, 1, 2): 3, date(2024, 1, 1): 2}, [("b1", date(2024, 1, 3))])
    assert [(p.total, p.batches) for p in cum] == [(2, ()), (5, ()), (5, ("b1",))]
    prov = st.by_province({"beijing": 3, "shanghai": 5, None: 2})
    assert [c.key for c in prov] == ["shanghai", "beijing", "unknown"] and st.total(prov) == 10
    months = st.by_month({"2024-11": 1, "2025-02": 2, None: 4})
    assert [c.key for c in months] == ["2024-11", "2024-12", "2025-01", "2025-02", "undated"]
    assert [c.count for c in st.by_kind({"registration": 2})] == [0, 2]


def test_query_parsing_and_cursor() -> None:
    q = RegistryQuery.from_params({"q": " wen xin ", "province": "beijing", "limit": "10"})
    assert q.params() == {"q": "wen xin", "province": "beijing", "limit": "10"}
    c = Cursor("2024-01-02", 42)
    assert Cursor.decode(c.encode()) == c
    for bad in ({"month": "2024-13"}, {"limit": "0"}, {"limit": "x"}, {"cursor": "!!"}):
        with pytest.raises(QueryError):
            RegistryQuery.from_params(bad)


def test_phase_durations_median_and_spread() -> None:
    from clearance.domain.registry.stats import durations

    rows = [{"provincial_review": d, "total": d * 3} for d in (10.0, 20.0, 30.0, 40.0)] + [{"total": 100.0}]
    out = {s.phase: s for s in durations(rows)}
    pr = out["provincial_review"]
    assert (pr.n, pr.median, pr.p25, pr.p75, pr.low, pr.high) == (4, 25.0, 17.5, 32.5, 10.0, 40.0)
    assert out["total"].n == 5 and out["total"].median == 90.0  # 30, 60, 90, 100, 120
    assert "technical_assessment" not in out  # no entry has it: no row rather than zeros
    assert durations([]) == []
