"""`clearance registry import`: CSV, XLSX and PDF lists, validation, dedupe, all-or-nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from clearance.adapters.db.tables import registry_entries
from clearance.domain.registry.query import RegistryQuery
from clearance.domain.registry.rows import RegistryImportError
from clearance.services import registry as svc
from tests.registry.conftest import FIXTURES, SAMPLE, write_csv, write_xlsx


def _count(db: Engine) -> int:
    with db.connect() as c:
        return int(c.execute(select(func.count()).select_from(registry_entries)).scalar_one())


def _all(db: Engine) -> list:  # type: ignore[type-arg]
    return svc.listing(db, RegistryQuery(limit=500)).page.entries


def test_sample_loads_completely_and_idempotently(db: Engine) -> None:
    rep = svc.load_sample(db, SAMPLE)
    assert (rep.rows, rep.added) == (115, 115)
    again = svc.load_sample(db, SAMPLE)
    assert (again.added, again.already_present) == (0, 115)
    entries = _all(db)
    assert {e.source.value for e in entries} == {"imported"}
    assert sum(e.kind.value == "registration" for e in entries) == 12
    xinghuo = next(e for e in entries if e.number == "Anhui-XingHuoRenZhiDaMoXing-20230823")
    assert xinghuo.province == "anhui" and xinghuo.province_derived   # blank 属地, derived from the prefix
    jiutian = next(e for e in entries if e.seq == 87)
    assert jiutian.province == "zhongyangqiye" and not jiutian.province_derived
    assert len(svc.batches(db)) == 24   # 23 reported batches + the sample's import batch


def test_regulator_csv_with_six_columns(db: Engine, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "附件1.csv", [
        ["1", "北京市", "文心一言", "北京百度网讯科技有限公司", "Beijing-WenXinYiYan-20230821", "2023-08-31"],
        ["2", "", "智谱清言", "北京智谱华章科技有限公司", "Beijing-ChatGLM-20230821", "2023/8/31"],
    ])
    rep = svc.import_file(db, f, batch="2024-04-02")
    assert (rep.added, rep.batch) == (2, "2024-04-02")
    zhipu = next(e for e in _all(db) if e.model_name == "智谱清言")
    assert (zhipu.province, zhipu.date, zhipu.batch) == ("beijing", date(2023, 8, 31), "2024-04-02")


def test_importing_into_an_announced_batch_keeps_its_date_and_counts(db: Engine, tmp_path: Path) -> None:
    svc.load_sample(db, SAMPLE)
    f = write_csv(tmp_path / "a.csv", [["1", "北京市", "m", "e", "Beijing-M-20240101", "2024-01-01"]])
    svc.import_file(db, f, batch="2024-04-02")
    b = svc.batch(db, "2024-04-02")
    assert b is not None and b.published_on == date(2024, 4, 2) and (b.reported or "").startswith("117")
    assert b.title.startswith("2024-04-02 117")


def test_chinese_batch_names_get_a_url_safe_key(db: Engine, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "a.csv", [["1", "北京市", "m", "e", "Beijing-M-20230821", "2023-08-31"]])
    rep = svc.import_file(db, f, batch="第一批")
    assert rep.batch == "diyipi" and svc.batch(db, "diyipi") is not None


def test_xlsx_with_both_sections(db: Engine, tmp_path: Path) -> None:
    f = write_xlsx(tmp_path / "gd.xlsx",
                   [[1, "广东省", "混元", "深圳市腾讯计算机系统有限公司", "Guangdong-HunYuan-20230901", date(2023, 9, 14)]],
                   [[1, "广东省", "某助手", "某公司", "Guangdong-MouZhuShou-20240110S0003", "2024-01-20"]])
    rep = svc.import_file(db, f)
    assert rep.added == 2 and rep.batch == "gd"
    kinds = {e.model_name: e.kind.value for e in _all(db)}
    assert kinds == {"混元": "filing", "某助手": "registration"}


def test_pdf_with_both_sections(db: Engine) -> None:
    rep = svc.import_file(db, FIXTURES / "list.pdf", batch="attachment-1")
    assert rep.added == 4
    by_model = {e.model_name: e for e in _all(db)}
    # PDF text comes out as Kangxi radicals (⽂⼼⼀⾔); the importer folds them back
    assert by_model["文心一言"].kind.value == "filing"
    assert by_model["小科热线"].kind.value == "registration"
    assert by_model["九天自然语言交互大模型"].province == "zhongyangqiye"


def test_later_attachments_repeat_earlier_entries_without_duplicates(db: Engine, tmp_path: Path) -> None:
    svc.import_file(db, FIXTURES / "list.pdf", batch="attachment-1")
    # the CSV copy of the same entry keeps the space the PDF lost: still the same entry
    f = write_csv(tmp_path / "att2.csv", [
        ["2", "", "求索对话DeepSeek Chat", "北京深度求索人工智能基础技术研究有限公司",
         "Beijing-DeepseekChat-202404280016", "2024-05-13"],
        ["118", "北京市", "新模型", "新公司", "Beijing-XinMoXing-202405010001", "2024-05-20"],
    ])
    rep = svc.import_file(db, f, batch="attachment-2")
    assert (rep.added, rep.already_present) == (1, 1)
    assert _count(db) == 5


def _fails(db: Engine, path: Path) -> list[str]:
    before = _count(db)
    with pytest.raises(RegistryImportError) as info:
        svc.import_file(db, path)
    assert _count(db) == before, "nothing may be half-imported"
    return [str(e) for e in info.value.errors]


def test_malformed_rows_fail_the_whole_file_with_row_column_and_fix(db: Engine, tmp_path: Path) -> None:
    f = write_csv(tmp_path / "bad.csv", [
        ["1", "北京市", "好模型", "好公司", "Beijing-HaoMoXing-20230821", "2023-08-31"],
        ["x", "北京市", "坏模型", "坏公司", "Beijing-Huai-20230899", "昨天"],
        ["3", "", "", "", "", ""],
    ])
    errors = _fails(db, f)
    assert any("bad.csv:3 [序号]" in e for e in errors)
    assert any("bad.csv:3 [备案号]" in e and "calendar date" in e for e in errors)
    assert any("bad.csv:3 [备案时间]" in e for e in errors)
    assert all("fix:" in e for e in errors)


def test_unknown_provinces_are_rejected(db: Engine, tmp_path: Path) -> None:
    errors = _fails(db, write_csv(tmp_path / "p.csv", [
        ["1", "火星省", "m", "e", "", "2023-08-31"],
        ["2", "", "m2", "e2", "Mars-M-20230821", "2023-08-31"],
    ]))
    assert any("[属地] unknown province '火星省'" in e for e in errors)
    assert any("unknown province prefix 'Mars'" in e for e in errors)


def test_duplicate_numbers_in_one_file_and_against_the_registry(db: Engine, tmp_path: Path) -> None:
    errors = _fails(db, write_csv(tmp_path / "d.csv", [
        ["1", "北京市", "模型甲", "公司甲", "Beijing-Jia-20230821", "2023-08-31"],
        ["2", "北京市", "模型乙", "公司乙", "Beijing-Jia-20230821", "2023-08-31"],
    ]))
    assert any("duplicate number 'Beijing-Jia-20230821'" in e and "d.csv:2" in e for e in errors)
    svc.import_file(db, write_csv(tmp_path / "ok.csv", [["1", "北京市", "模型甲", "公司甲", "Beijing-Jia-20230821", "2023-08-31"]]))
    errors = _fails(db, write_csv(tmp_path / "clash.csv", [
        ["5", "北京市", "新的", "新公司", "Beijing-Xin-20230821", "2023-08-31"],
        ["6", "北京市", "冒名", "别的公司", "Beijing-Jia-20230821", "2023-08-31"],
    ]))
    assert any("already in the registry" in e for e in errors)
    assert svc.listing(db, RegistryQuery(q="新的")).page.total == 0


def test_unreadable_files(db: Engine, tmp_path: Path) -> None:
    (tmp_path / "x.txt").write_text("hello")
    assert "unsupported file type" in _fails(db, tmp_path / "x.txt")[0]
    (tmp_path / "noheader.csv").write_text("a,b,c\n1,2,3\n")
    assert "no header row" in _fails(db, tmp_path / "noheader.csv")[0]
    (tmp_path / "broken.xlsx").write_bytes(b"not a zip")
    assert "XLSX" in _fails(db, tmp_path / "broken.xlsx")[0]
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4 nonsense")
    assert "PDF" in _fails(db, tmp_path / "broken.pdf")[0]


def test_cli_import_and_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from clearance.interfaces.cli.app import app
    from clearance.settings import get_settings

    monkeypatch.setenv("CLEARANCE_HOME", str(tmp_path / "home"))
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        f = write_csv(tmp_path / "a.csv", [["1", "北京市", "m", "e", "Beijing-M-20230821", "2023-08-31"]])
        r = runner.invoke(app, ["registry", "import", str(f), "--batch", "b1"])
        assert r.exit_code == 0, r.output
        bad = write_csv(tmp_path / "b.csv", [["1", "火星", "m", "e", "", "2023-08-31"]])
        r = runner.invoke(app, ["registry", "import", str(bad)])
        assert r.exit_code == 1 and "nothing was imported" in r.output
        r = runner.invoke(app, ["registry", "status", "Beijing-M-20230821", "suspended", "--reason", "complaint"])
        assert r.exit_code == 0, r.output
        r = runner.invoke(app, ["registry", "load-sample", "--json"])
        assert r.exit_code == 0 and '"added": 115' in r.output
    finally:
        get_settings.cache_clear()


def test_publish_feeds_approvals_from_the_filing_service(db: Engine) -> None:
    from clearance.domain.registry.entries import Batch, DataType, Entry, Kind, RdMode, Scope
    from clearance.domain.registry.numbers import format_filing_number
    from clearance.domain.registry.provinces import BY_KEY

    number = format_filing_number(BY_KEY["guangdong"], "ZhiNeng", date(2026, 11, 1), 1)
    approved = Entry(kind=Kind.FILING, model_name="智能", entity_zh="广州某公司", number=number,
                     rd_mode=RdMode.FINE_TUNED, data_type=DataType.TEXT, scope=Scope.INDUSTRY,
                     report_sha256="a" * 64, report_url="/reports/x")
    batch = Batch(key="2026-11-27", title="第一批", published_on=date(2026, 11, 27))
    assert svc.publish(db, [approved], batch) == 1
    e = _all(db)[0]
    assert (e.source.value, e.province, e.batch, e.date, e.report_sha256) == (
        "clearance", "guangdong", "2026-11-27", date(2026, 11, 27), "a" * 64)
    with pytest.raises(ValueError, match="not a filing number"):
        svc.publish(db, [approved.model_copy(update={"number": "nonsense"})], batch)
