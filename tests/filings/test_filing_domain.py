"""Pure rules of the filing service: numbers, completeness, uploads, policy, throttling."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from pydantic import ValidationError
from pypinyin import lazy_pinyin

from clearance.domain.accounts import LOCKOUT, MAX_FAILURES, WINDOW, throttle
from clearance.domain.filings import numbering, uploads
from clearance.domain.filings.forms import FilingForm, MaterialType, missing
from clearance.domain.filings.organisations import province_for
from clearance.domain.filings.workflow import Actor, FilingKind, Role, State
from clearance.domain.policy import Action, Target, allowed, list_scope
from clearance.domain.registry import numbers
from clearance.domain.registry.provinces import BY_KEY


@pytest.mark.parametrize(("name", "code"), [
    ("云雀", "YunQue"), ("智海图AI", "ZhiHaiTuAI"), ("一叶轻舟", "YiYeQingZhou"), ("MiniMax", "MiniMax"),
    ("DeepSeek Chat", "DeepSeekChat"), ("文心一言 4.0", "WenXinYiYan40"), ("  商量-SenseChat ", "ShangLiangSenseChat"),
])
def test_model_codes_follow_the_published_numbers(name: str, code: str) -> None:
    assert numbering.model_code(name, lazy_pinyin) == code


def test_model_name_without_letters_is_refused() -> None:
    with pytest.raises(numbers.NumberError):
        numbering.model_code("！？", lazy_pinyin)


def test_issued_numbers_parse_back() -> None:
    d = date(2024, 4, 28)
    n = numbering.filing_number(BY_KEY["beijing"], "DeepseekChat", d, 16, lazy_pinyin)
    assert n == "Beijing-DeepseekChat-202404280016"
    p = numbers.parse(n)
    assert (p.kind, p.issued_on, p.sequence) == ("filing", d, 16)
    launch = numbering.launch_number(BY_KEY["zhejiang"], "客服", d, 3, lazy_pinyin)
    assert launch == "ZheJiang-KeFu-20240428S0003"
    p = numbers.parse(launch)
    assert p.kind == "registration" and p.province is BY_KEY["zhejiang"] and p.sequence == 3
    with pytest.raises(numbers.NumberError):
        numbering.launch_number(BY_KEY["zhejiang"], "客服", d, 10_000, lazy_pinyin)


def test_province_codes() -> None:
    assert province_for("440000").prefix == "Guangdong"
    for bad in ("110100", "Beijing", "", "999999"):
        with pytest.raises(ValueError, match="GB/T 2260"):
            province_for(bad)


def test_completeness_lists_fields_and_materials() -> None:
    empty = missing(FilingKind.FILING, FilingForm(), set())
    assert "模型名称 (model name)" in empty and len([m for m in empty if "(" in m]) == len(empty)
    assert sum(1 for m in empty if m.split(" ")[0] in {"生成式人工智能上线备案表", "安全自评估报告", "模型服务协议",
                                                      "语料标注规则", "关键词拦截列表", "评估测试题集"}) == 6
    reg = missing(FilingKind.REGISTRATION, FilingForm(), set())
    assert not any("安全自评估报告" in m for m in reg) and any("所调用模型" in m for m in reg)
    assert not any("语料" in m and "规则" not in m for m in reg)
    form = FilingForm(built_on_filed_model=True)
    assert "基础模型备案号 (filing number of the base model)" in missing(FilingKind.FILING, form, set(MaterialType))


def test_filing_numbers_in_the_form_are_checked() -> None:
    with pytest.raises(ValidationError, match="not a filing number"):
        FilingForm(called_model_number="GPT-4")
    assert FilingForm(called_model_number="Shanghai-MiniMax-202505230046").called_model_number


@pytest.mark.parametrize(("head", "ext", "sniffed"), [
    (b"%PDF-1.4", ".pdf", uploads.PDF), (b"PK\x03\x04", ".docx", uploads.DOCX), (b"PK\x03\x04", ".xlsx", uploads.XLSX),
    (b"PK\x03\x04", ".zip", uploads.ZIP), ("中文关键词\n".encode(), ".txt", uploads.TEXT),
    (b"\xef\xbb\xbfa,b\n", ".csv", uploads.CSV), (b"  <HTML><body>", ".txt", uploads.HTML),
    (b"<svg onload=alert(1)>", ".csv", uploads.HTML), (b"\x89PNG\r\n\x1a\n\x00", ".pdf", uploads.UNKNOWN),
    ("关".encode()[:2], ".txt", uploads.TEXT),  # a multi-byte character cut by the head
])
def test_sniffing_reads_the_bytes(head: bytes, ext: str, sniffed: str) -> None:
    assert uploads.sniff(head, ext) == sniffed


def test_upload_limits_name_the_field_and_limit() -> None:
    with pytest.raises(uploads.UploadRejected, match=r"the limit is 100\.0 MB") as exc:
        uploads.check(MaterialType.TEST_SETS, "t.csv", 100 * uploads.MB + 1, b"a,b")
    assert exc.value.field == "test_sets"
    assert uploads.check(MaterialType.TEST_SETS, "t.csv", 3, b"a,b") == uploads.CSV


PROVIDER = Actor("p", Role.PROVIDER, organisation="o1")
REVIEWER = Actor("r", Role.PROVINCIAL_REVIEWER, province="110000")
ASSESSOR = Actor("a", Role.ASSESSOR)
CENTRAL = Actor("c", Role.CENTRAL_REVIEWER)
ADMIN = Actor("x", Role.ADMIN)
ACTORS = (PROVIDER, REVIEWER, ASSESSOR, CENTRAL, ADMIN)


def _t(state: State, org: str = "o1", province: str = "110000") -> Target:
    return Target(organisation=org, province=province, state=state)


@pytest.mark.parametrize(("action", "target", "expected"), [
    (Action.READ_FILING, _t(State.DRAFT), {PROVIDER}),
    (Action.READ_FILING, _t(State.SUBMITTED), {PROVIDER, REVIEWER, ASSESSOR, CENTRAL}),
    (Action.READ_FILING, _t(State.SUBMITTED, org="o2", province="310000"), {ASSESSOR, CENTRAL}),
    (Action.CREATE_FILING, None, {PROVIDER}),
    (Action.EDIT_FILING, _t(State.DRAFT), {PROVIDER}),
    (Action.EDIT_FILING, _t(State.SUPPLEMENT_REQUESTED), {PROVIDER}),
    (Action.EDIT_FILING, _t(State.SUBMITTED), set()),
    (Action.EDIT_FILING, _t(State.DRAFT, org="o2"), set()),
    (Action.RUN_ASSESSMENT, _t(State.TECHNICAL_ASSESSMENT), {ASSESSOR}),
    (Action.RUN_ASSESSMENT, _t(State.CENTRAL_REVIEW), set()),
    (Action.MANAGE_BATCHES, None, {CENTRAL}),
    (Action.MANAGE_USERS, None, {ADMIN}),
    (Action.MANAGE_ORGANISATIONS, None, {ADMIN}),
    (Action.VERIFY_AUDIT, None, {ADMIN, CENTRAL}),
])
def test_policy_matrix(action: Action, target: Target | None, expected: set[Actor]) -> None:
    assert {a for a in ACTORS if allowed(a, action, target)} == expected


def test_list_scopes() -> None:
    assert list_scope(PROVIDER).organisation == "o1" and list_scope(PROVIDER).include_drafts
    assert list_scope(REVIEWER).province == "110000" and not list_scope(REVIEWER).include_drafts
    assert list_scope(CENTRAL).organisation is None and list_scope(CENTRAL).province is None
    assert list_scope(ADMIN).nothing
    # a provider account without an organisation sees nothing rather than everything
    assert list_scope(Actor("p", Role.PROVIDER)).organisation not in (None, "")


def test_throttle() -> None:
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    fails = [now - timedelta(minutes=m + 1) for m in range(MAX_FAILURES - 1)]
    assert throttle(fails, now).allowed
    fails.append(now - timedelta(seconds=30))
    t = throttle(fails, now)
    assert not t.allowed and t.locked_until == now - timedelta(seconds=30) + LOCKOUT
    assert throttle(fails, now + LOCKOUT).allowed
    old = [now - WINDOW - timedelta(seconds=i + 1) for i in range(20)]
    assert throttle(old, now).allowed
