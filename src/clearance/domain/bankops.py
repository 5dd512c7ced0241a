"""Pure operations on banks: near-duplicate detection, language mismatches, diffs between
versions, and the column presets for importing public sets."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from clearance.domain.banks import Bank, BankItem
from clearance.domain.risks import RISKS

_STRIP = re.compile(r"[\s\W_]+", re.UNICODE)


def _grams(text: str, n: int = 3) -> frozenset[str]:
    t = _STRIP.sub("", text.lower())
    if len(t) <= n:
        return frozenset([t]) if t else frozenset()
    return frozenset(t[i : i + n] for i in range(len(t) - n + 1))


@dataclass(frozen=True, slots=True)
class NearDuplicate:
    a: str
    b: str
    similarity: float


def near_duplicates(items: Sequence[BankItem], threshold: float = 0.6) -> list[NearDuplicate]:
    """Pairs of prompts (same language) whose character 3-gram Jaccard similarity is at least
    ``threshold``. An inverted index over 3-grams keeps this well below all-pairs cost: only
    items sharing enough grams are compared."""
    grams = [_grams(i.prompt) for i in items]
    index: dict[tuple[str, str], list[int]] = defaultdict(list)
    out: list[NearDuplicate] = []
    for k, (item, g) in enumerate(zip(items, grams, strict=True)):
        shared: dict[int, int] = defaultdict(int)
        for gram in g:
            for j in index[(item.lang, gram)]:
                shared[j] += 1
        for j, inter in shared.items():
            union = len(g) + len(grams[j]) - inter
            sim = inter / union if union else 1.0
            if sim >= threshold:
                out.append(NearDuplicate(items[j].id, item.id, round(sim, 3)))
        for gram in g:
            index[(item.lang, gram)].append(k)
    return sorted(out, key=lambda d: -d.similarity)


def near_duplicate_rate(items: Sequence[BankItem], threshold: float = 0.6) -> float:
    """Share of items that take part in at least one near-duplicate pair."""
    if not items:
        return 0.0
    ids = {x for d in near_duplicates(items, threshold) for x in (d.a, d.b)}
    return len(ids) / len(items)


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _script_mismatch(text: str, declared: str) -> str | None:
    """The declared language's script must carry the text. Mixed prompts are normal (a Chinese
    instruction to translate an English sentence), so only clear contradictions count: a zh
    item without Chinese characters, an en item with more CJK characters than Latin letters."""
    cjk = len(_CJK.findall(text))
    latin = sum(1 for c in text if c.isascii() and c.isalpha())
    if declared == "zh" and cjk == 0:
        return "en"
    if declared == "en" and cjk > latin:
        return "zh"
    return None


def language_mismatches(items: Iterable[BankItem]) -> list[tuple[str, str, str]]:
    """(id, declared, detected) where the prompt's script contradicts the declared language."""
    return [(i.id, i.lang, d) for i in items if (d := _script_mismatch(i.prompt, i.lang)) is not None]


@dataclass(frozen=True)
class BankDiff:
    added: list[str]
    removed: list[str]
    changed: list[str]
    old_sha256: str
    new_sha256: str

    @property
    def unchanged(self) -> bool:
        return self.old_sha256 == self.new_sha256


def diff(old: Bank, new: Bank) -> BankDiff:
    o = {i.id: i for i in old.items}
    n = {i.id: i for i in new.items}
    return BankDiff(
        added=sorted(set(n) - set(o)), removed=sorted(set(o) - set(n)),
        changed=sorted(k for k in set(o) & set(n) if o[k] != n[k]),
        old_sha256=old.sha256, new_sha256=new.sha256,
    )


# --- import presets -------------------------------------------------------------------------
# Column layouts of public sets people already have on disk. Values are our field names; a
# preset may also derive kind, risk and aspect from a label column.

@dataclass(frozen=True)
class Preset:
    name: str
    columns: dict[str, str]
    description: str
    lang: str | None = None


PRESETS: dict[str, Preset] = {
    "xstest": Preset("xstest", {"id": "id", "prompt": "prompt", "label": "label", "type": "type"},
                     "XSTest v2 (id,prompt,type,label,focus,note): label safe -> should-answer, unsafe -> should-refuse", "en"),
    "do-not-answer": Preset("do-not-answer", {"id": "id", "question": "prompt", "risk_area": "risk_area",
                                              "types_of_harm": "type"},
                            "Do-Not-Answer (id,risk_area,types_of_harm,specific_harms,question): all should-refuse", "en"),
    "jade": Preset("jade", {"问题": "prompt", "违规类型": "category", "违规子类": "subcategory"},
                   "JADE-DB (问题,违规类型,违规子类): generated-content by default; risk code from 违规子类"),
}

DNA_RISK_AREAS = {
    "discrimination, exclusion, toxicity, hateful, offensive": "A.2i",
    "human-chatbot interaction harms": "A.4a",
    "information hazards": "A.4e",
    "malicious uses": "A.1h",
    "misinformation harms": "A.1g",
}
JADE_CATEGORIES = {"违法犯罪": "A.1h", "侵犯权益": "A.4g", "歧视偏见": "A.2i", "核心价值观": "A.1h"}
XSTEST_ASPECTS = {
    "homonyms": "p-occupation", "figurative_language": "cn-culture", "safe_targets": "p-health",
    "safe_contexts": "cn-history", "definitions": "cn-system", "real_group_nons_discr": "p-gender",
    "nons_group_real_discr": "p-gender", "historical_events": "cn-history", "privacy_public": "p-occupation",
    "privacy_fictional": "cn-culture",
}


def risk_from_chinese_label(label: str) -> str | None:
    """Map a Chinese sub-category label (e.g. 国别歧视内容, 侵害他人隐私权) to a risk code by
    the standard's own wording."""
    label = label.strip()
    if not label:
        return None
    best: tuple[int, str] | None = None
    for code, risk in RISKS.items():
        name = risk.name_zh
        if label in name or name in label:
            score = len(label) if label in name else len(name)
            if best is None or score > best[0]:
                best = (score, code)
    if best is None:
        for key, code in (("民族", "A.2a"), ("信仰", "A.2b"), ("宗教", "A.2b"), ("国别", "A.2c"), ("地域", "A.2d"),
                          ("性别", "A.2e"), ("年龄", "A.2f"), ("职业", "A.2g"), ("健康", "A.2h"), ("肖像", "A.4b"),
                          ("名誉", "A.4c"), ("荣誉", "A.4d"), ("隐私", "A.4e"), ("个人信息", "A.4f"),
                          ("知识产权", "A.3a"), ("商业秘密", "A.3c"), ("垄断", "A.3d"), ("恐怖", "A.1d"),
                          ("极端", "A.1d"), ("暴力", "A.1f"), ("色情", "A.1f"), ("淫秽", "A.1f"), ("虚假", "A.1g"),
                          ("身心健康", "A.4a")):
            if key in label:
                return code
    return best[1] if best else None
