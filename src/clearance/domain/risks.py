"""The 31 main safety risks of TC260-003 / GB/T 45654-2025 Appendix A, and the aspects of the
should-answer bank (regulation.md sections 2 and 5).

Codes are the standard's own numbering (A.1a ... A.5b) so that reports can be read against the
standard without a lookup table.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Risk:
    code: str
    category: str
    name_zh: str
    name_en: str


@dataclass(frozen=True, slots=True)
class Category:
    code: str
    name_zh: str
    name_en: str


CATEGORIES: tuple[Category, ...] = (
    Category("A.1", "包含违反社会主义核心价值观的内容", "Violates core socialist values"),
    Category("A.2", "包含歧视性内容", "Discriminatory content"),
    Category("A.3", "商业违法违规", "Commercial violations"),
    Category("A.4", "侵犯他人合法权益", "Infringing others' lawful rights"),
    Category("A.5", "无法满足特定服务类型的安全需求", "Cannot meet safety needs of specific service types"),
)

_RISKS: tuple[tuple[str, str, str], ...] = (
    ("A.1a", "煽动颠覆国家政权、推翻社会主义制度", "Inciting subversion of state power or overthrow of the socialist system"),
    ("A.1b", "危害国家安全和利益、损害国家形象", "Endangering national security and interests; harming national image"),
    ("A.1c", "煽动分裂国家、破坏国家统一和社会稳定", "Inciting separatism; undermining national unity and social stability"),
    ("A.1d", "宣扬恐怖主义、极端主义", "Promoting terrorism or extremism"),
    ("A.1e", "宣扬民族仇恨", "Promoting ethnic hatred"),
    ("A.1f", "宣扬暴力、淫秽色情", "Promoting violence, obscenity or pornography"),
    ("A.1g", "传播虚假有害信息", "Spreading false and harmful information"),
    ("A.1h", "其他法律、行政法规禁止的内容", "Other content prohibited by laws and administrative regulations"),
    ("A.2a", "民族歧视内容", "Ethnic discrimination"),
    ("A.2b", "信仰歧视内容", "Belief discrimination"),
    ("A.2c", "国别歧视内容", "Nationality discrimination"),
    ("A.2d", "地域歧视内容", "Regional discrimination"),
    ("A.2e", "性别歧视内容", "Gender discrimination"),
    ("A.2f", "年龄歧视内容", "Age discrimination"),
    ("A.2g", "职业歧视内容", "Occupational discrimination"),
    ("A.2h", "健康歧视内容", "Health discrimination"),
    ("A.2i", "其他方面歧视内容", "Other discrimination"),
    ("A.3a", "侵犯他人知识产权", "Infringing intellectual property rights"),
    ("A.3b", "违反商业道德", "Violating business ethics"),
    ("A.3c", "泄露他人商业秘密", "Disclosing trade secrets"),
    ("A.3d", "利用算法、数据、平台等优势，实施垄断和不正当竞争行为", "Using algorithm, data or platform advantages for monopoly or unfair competition"),
    ("A.3e", "其他商业违法违规行为", "Other commercial violations"),
    ("A.4a", "危害他人身心健康", "Harming others' physical or mental health"),
    ("A.4b", "侵害他人肖像权", "Infringing portrait rights"),
    ("A.4c", "侵害他人名誉权", "Infringing reputation rights"),
    ("A.4d", "侵害他人荣誉权", "Infringing honour rights"),
    ("A.4e", "侵害他人隐私权", "Infringing privacy rights"),
    ("A.4f", "侵害他人个人信息权益", "Infringing personal-information rights"),
    ("A.4g", "侵犯他人其他合法权益", "Infringing other lawful rights"),
    ("A.5a", "内容不准确，严重不符合科学常识或主流认知", "Inaccurate: seriously contradicts scientific common sense or mainstream understanding"),
    ("A.5b", "内容不可靠，虽不含严重错误但无法对使用者形成帮助", "Unreliable: no serious error but of no help to the user"),
)

RISKS: dict[str, Risk] = {code: Risk(code, code[:3], zh, en) for code, zh, en in _RISKS}
RISK_CODES: tuple[str, ...] = tuple(RISKS)
CATEGORY_BY_CODE: dict[str, Category] = {c.code: c for c in CATEGORIES}

# The slices the standard uses: 17 for the keyword library and the should-refuse bank,
# 29 for A.1-A.4, 31 for the generated-content bank and the classifier.
SLICE_17: tuple[str, ...] = tuple(c for c in RISK_CODES if c[:3] in {"A.1", "A.2"})
SLICE_29: tuple[str, ...] = tuple(c for c in RISK_CODES if c[:3] != "A.5")
SLICE_31: tuple[str, ...] = RISK_CODES


class Aspect(StrEnum):
    """Aspects of the should-not-refuse (非拒答) bank, at least 20 items each."""

    CN_SYSTEM = "cn-system"
    CN_BELIEFS = "cn-beliefs"
    CN_IMAGE = "cn-image"
    CN_CULTURE = "cn-culture"
    CN_CUSTOMS = "cn-customs"
    CN_ETHNICITY = "cn-ethnicity"
    CN_GEOGRAPHY = "cn-geography"
    CN_HISTORY = "cn-history"
    CN_HEROES = "cn-heroes"
    P_GENDER = "p-gender"
    P_AGE = "p-age"
    P_OCCUPATION = "p-occupation"
    P_HEALTH = "p-health"


ASPECT_NAMES: dict[Aspect, tuple[str, str]] = {
    Aspect.CN_SYSTEM: ("中国制度", "China's system"),
    Aspect.CN_BELIEFS: ("信仰", "Beliefs"),
    Aspect.CN_IMAGE: ("国家形象", "National image"),
    Aspect.CN_CULTURE: ("文化", "Culture"),
    Aspect.CN_CUSTOMS: ("风俗习惯", "Customs"),
    Aspect.CN_ETHNICITY: ("民族", "Ethnicity"),
    Aspect.CN_GEOGRAPHY: ("地理", "Geography"),
    Aspect.CN_HISTORY: ("历史", "History"),
    Aspect.CN_HEROES: ("英雄烈士", "Heroes and martyrs"),
    Aspect.P_GENDER: ("性别", "Gender"),
    Aspect.P_AGE: ("年龄", "Age"),
    Aspect.P_OCCUPATION: ("职业", "Occupation"),
    Aspect.P_HEALTH: ("健康", "Health"),
}


def is_risk_code(code: str) -> bool:
    return code in RISKS


def describe(code: str) -> tuple[str, str]:
    """Chinese and English name of a risk code or aspect code."""
    if code in RISKS:
        r = RISKS[code]
        return r.name_zh, r.name_en
    try:
        return ASPECT_NAMES[Aspect(code)]
    except ValueError:
        return code, code
