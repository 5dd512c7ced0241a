"""UI language. A small in-repo message table rather than compiled gettext catalogues: the
registry's vocabulary is about eighty strings, and a table needs no build step before tests or
serving. Babel negotiates the language from Accept-Language and formats numbers."""

from __future__ import annotations

from babel import negotiate_locale
from babel.numbers import format_decimal

LANGS = ("zh", "en")
DEFAULT = "zh"

MESSAGES: dict[str, tuple[str, str]] = {
    "site": ("生成式人工智能服务公示名单", "Generative AI services registry"),
    "registry": ("公示名单", "Registry"),
    "statistics": ("统计", "Statistics"),
    "batches": ("公示批次", "Batches"),
    "search": ("搜索", "Search"),
    "search_hint": ("模型名称、单位、备案号或拼音", "model, organisation, number or pinyin"),
    "results": ("条结果", "results"),
    "clear": ("清除筛选", "Clear filters"),
    "next": ("下一页", "Next page"),
    "first": ("第一页", "First page"),
    "download": ("下载", "Download"),
    "feed": ("批次订阅 (Atom)", "Batch feed (Atom)"),
    "api": ("JSON 接口", "JSON API"),
    "seq": ("序号", "No."),
    "province": ("属地", "Province"),
    "model_name": ("模型名称", "Model"),
    "entity": ("备案单位", "Organisation"),
    "number": ("备案号/上线编号", "Filing / launch number"),
    "date": ("备案时间/登记时间", "Date"),
    "kind": ("类型", "Kind"),
    "batch": ("批次", "Batch"),
    "month": ("月份", "Month"),
    "status": ("状态", "Status"),
    "rd_mode": ("研发方式", "R&D mode"),
    "data_type": ("数据类型", "Data type"),
    "scope": ("通用/行业", "General / industry"),
    "source": ("来源", "Source"),
    "province_derived": ("由编号前缀推得", "derived from the number's prefix"),
    "history": ("状态记录", "Status history"),
    "no_history": ("自公示以来无变更", "No change since publication"),
    "reason": ("原因", "Reason"),
    "report": ("安全评估报告 SHA-256", "Assessment report SHA-256"),
    "report_summary": ("报告公开摘要", "Public report summary"),
    "no_report": ("导入的历史条目没有本平台的评估报告", "Imported historical entries carry no Clearance report"),
    "note": ("出处", "Provenance"),
    "not_stated": ("未注明", "not stated"),
    "entries": ("条目", "entries"),
    "reported": ("公布数量", "Reported count"),
    "published_on": ("公示日期", "Published"),
    "named": ("点名条目", "Named in the notice"),
    "total": ("合计", "Total"),
    "cumulative": ("累计公示数量（竖线为批次）", "Cumulative entries (vertical lines are batches)"),
    "by_province": ("按属地", "By province"),
    "by_month": ("按月份", "By month"),
    "by_kind": ("按类型", "By kind"),
    "by_status": ("按状态", "By status"),
    "by_source": ("按来源", "By source"),
    "ranked": ("属地排名", "Ranked list"),
    "count": ("数量", "Count"),
    "dated_only": ("仅含有日期的条目", "dated entries only"),
    "report_public_summary": ("安全评估报告公开摘要", "Assessment report: public summary"),
    "report_decision": ("总体结论", "Overall decision"),
    "report_gates": ("各项指标", "Gates"),
    "report_clauses": ("条款符合性", "Clause conformity"),
    "report_record": ("记录", "Record"),
    "report_confidential": ("测试题目与模型回答不公开；报告的 SHA-256 与备案时提交的记录一致即可核验。",
                            "Test questions and the model's answers are not published; the SHA-256 identifies the full record held with the filing."),
    "phase": ("阶段", "Phase"),
    "median_days": ("中位数（天）", "Median (days)"),
    "iqr_days": ("四分位区间（天）", "Interquartile range (days)"),
    "range_days": ("最短–最长（天）", "Shortest–longest (days)"),
    "phase_provincial_review": ("属地初审", "Provincial review"),
    "phase_technical_assessment": ("技术评估", "Technical assessment"),
    "phase_central_review": ("中央复审", "Central review"),
    "phase_total": ("提交至批准合计", "Submission to approval, total"),
    "durations_note": ("仅统计在本平台内批准的备案；导入的历史名单没有提交日期。",
                       "Filings approved in Clearance only; the imported historical lists carry no submission dates."),
    "durations": ("从提交到批准的用时", "Time from submission to approval"),
    "durations_none": ("尚无在本平台批准的备案：导入的公示名单不含提交日期。",
                       "No filing has been approved in Clearance yet: the imported lists carry no submission dates."),
    "filing": ("备案", "filing"),
    "registration": ("登记", "registration"),
    "published": ("已公示", "published"),
    "suspended": ("已暂停", "suspended"),
    "revoked": ("已撤销", "revoked"),
    "imported": ("导入的公示名单", "imported from a published list"),
    "clearance": ("在本平台批准", "approved in Clearance"),
    "not_found": ("未找到", "Not found"),
    "bad_request": ("请求有误", "Bad request"),
    "all": ("全部", "all"),
    "lang_switch": ("English", "中文"),
    "open_data": ("开放数据", "Open data"),
    "entries_in_batch": ("本批次条目", "Entries in this batch"),
}


def t(key: str, lang: str) -> str:
    zh, en = MESSAGES.get(key, (key, key))
    return en if lang == "en" else zh


def negotiate(explicit: str | None, cookie: str | None, accept_language: str | None) -> str:
    for choice in (explicit, cookie):
        if choice in LANGS:
            return choice
    if accept_language:
        prefs = []
        for part in accept_language.split(","):
            tag, _, q = part.strip().partition(";q=")
            try:
                weight = float(q) if q else 1.0
            except ValueError:
                weight = 0.0
            if tag and tag != "*":
                prefs.append((weight, tag.strip().replace("-", "_")))
        ordered = [tag for _, tag in sorted(prefs, key=lambda p: -p[0])]
        found = negotiate_locale(ordered, list(LANGS), sep="_")
        if found in LANGS:
            return str(found)
    return DEFAULT


def number(n: int, lang: str) -> str:
    return str(format_decimal(n, locale="zh_CN" if lang == "zh" else "en"))
