"""The filing form (上线备案表) and the materials of a filing, and the completeness check.

Fields follow ../shared/regulation.md section 7. Every field is optional while a filing is a
draft (drafts autosave partial input); ``missing`` lists what a submission still lacks, and the
workflow's ``complete`` guard refuses a submission while that list is not empty.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from clearance.domain.filings.workflow import FilingKind
from clearance.domain.registry import numbers


class MaterialType(StrEnum):
    FILING_FORM = "filing_form"                        # 上线备案表
    SELF_ASSESSMENT = "self_assessment_report"         # 安全自评估报告
    SERVICE_AGREEMENT = "service_agreement"            # 模型服务协议
    ANNOTATION_RULES = "annotation_rules"              # 语料标注规则
    KEYWORD_LIST = "keyword_list"                      # 关键词拦截列表
    TEST_SETS = "test_sets"                            # 评估测试题集


MATERIAL_LABELS: dict[MaterialType, str] = {
    MaterialType.FILING_FORM: "生成式人工智能上线备案表 (filing form)",
    MaterialType.SELF_ASSESSMENT: "安全自评估报告 (security self-assessment report)",
    MaterialType.SERVICE_AGREEMENT: "模型服务协议 (user service agreement)",
    MaterialType.ANNOTATION_RULES: "语料标注规则 (corpus annotation rules)",
    MaterialType.KEYWORD_LIST: "关键词拦截列表 (keyword interception list)",
    MaterialType.TEST_SETS: "评估测试题集 (evaluation test sets)",
}

# A registration relies on the upstream model's filing and has no self-assessment report
# (regulation.md section 7); which other materials the simplified set drops is not published,
# so the rest stay required.
REQUIRED_MATERIALS: dict[FilingKind, tuple[MaterialType, ...]] = {
    FilingKind.FILING: tuple(MaterialType),
    FilingKind.REGISTRATION: tuple(m for m in MaterialType if m is not MaterialType.SELF_ASSESSMENT),
}


class Function(StrEnum):
    DIALOGUE = "dialogue"          # 人机对话
    TEXT = "text"                  # 文字生成
    IMAGE = "image"                # 图片生成
    VOICE = "voice"                # 声音合成
    VIDEO = "video"                # 视频合成
    CODE = "code"                  # 代码生成或优化


class DomainScope(StrEnum):
    GENERAL = "general"            # 通用
    LIMITED = "limited"            # 限定领域 (industry)


class CorpusSource(StrEnum):
    OPEN_SOURCE = "open_source"
    SELF_COLLECTED = "self_collected"
    COMMERCIAL = "commercial"


class ServiceMode(StrEnum):
    APP = "app"
    WEB = "web"
    API = "api"
    MINI_PROGRAM = "mini_program"
    OTHER = "other"


class Endpoint(BaseModel):
    """Where the technical assessment (phase 2) reaches the model: an OpenAI-compatible API."""

    model_config = ConfigDict(extra="forbid")
    base_url: str = Field(pattern=r"^https?://", max_length=500)
    model: str = Field(min_length=1, max_length=200)
    api_key_env: str | None = Field(default=None, max_length=100)


class FilingForm(BaseModel):
    """The filing form's fields. All optional: a draft holds whatever has been typed so far."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    model_name: str | None = Field(default=None, min_length=1, max_length=100)
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=40)
    functions: list[Function] | None = None
    domain_scope: DomainScope | None = None
    built_on_filed_model: bool | None = None
    base_model_number: str | None = Field(default=None, max_length=120)
    corpus_size_gb: float | None = Field(default=None, ge=0)
    corpus_tokens: int | None = Field(default=None, ge=0)
    corpus_sources: list[CorpusSource] | None = None
    foreign_open_source_share: float | None = Field(default=None, ge=0, le=1)
    annotation_count: int | None = Field(default=None, ge=0)
    annotators: int | None = Field(default=None, ge=0)
    annotation_rules_summary: str | None = Field(default=None, max_length=5000)
    accuracy_check_ratio: float | None = Field(default=None, ge=0, le=1)
    inference_compute: str | None = Field(default=None, max_length=500)
    concurrency: int | None = Field(default=None, ge=0)
    third_party_cloud: str | None = Field(default=None, max_length=200)
    service_modes: list[ServiceMode] | None = None
    endpoint: Endpoint | None = None
    called_model_number: str | None = Field(default=None, max_length=120)  # registrations only

    @field_validator("base_model_number", "called_model_number")
    @classmethod
    def _filing_number(cls, v: str | None) -> str | None:
        if v:
            numbers.parse_filing(v)  # NumberError is a ValueError: reported against the field
        return v or None


FIELD_LABELS: dict[str, str] = {
    "model_name": "模型名称 (model name)",
    "contact_name": "联系人 (contact)",
    "contact_phone": "联系电话 (contact phone)",
    "functions": "主要功能 (main functions)",
    "domain_scope": "通用/限定领域 (general or limited domain)",
    "built_on_filed_model": "是否基于已备案模型 (built on a filed model?)",
    "base_model_number": "基础模型备案号 (filing number of the base model)",
    "corpus_size_gb": "语料存储规模 (corpus storage size)",
    "corpus_tokens": "语料词元数 (corpus token count)",
    "corpus_sources": "语料来源 (corpus sources)",
    "foreign_open_source_share": "境外开源语料占比 (foreign open-source share)",
    "annotation_count": "标注数量 (annotation count)",
    "annotators": "标注人员 (annotators)",
    "annotation_rules_summary": "标注规则 (annotation rules)",
    "accuracy_check_ratio": "核验比例 (accuracy check ratio)",
    "inference_compute": "推理算力 (inference compute)",
    "concurrency": "并发量 (concurrency)",
    "third_party_cloud": "第三方云服务 (third-party cloud, or 'none')",
    "service_modes": "服务形式 (service modes)",
    "endpoint": "评估接口 (assessment endpoint)",
    "called_model_number": "所调用模型的备案号 (filing number of the called model)",
}

_FILING_FIELDS = ("model_name", "contact_name", "contact_phone", "functions", "domain_scope",
                  "built_on_filed_model", "corpus_size_gb", "corpus_tokens", "corpus_sources",
                  "foreign_open_source_share", "annotation_count", "annotators", "annotation_rules_summary",
                  "accuracy_check_ratio", "inference_compute", "concurrency", "third_party_cloud",
                  "service_modes", "endpoint")
# A registration describes the app and the model it calls; corpus and annotation belong to the
# called model's filing.
_REGISTRATION_FIELDS = ("model_name", "contact_name", "contact_phone", "functions", "domain_scope",
                        "service_modes", "called_model_number")


def form_fields(kind: FilingKind) -> tuple[str, ...]:
    """The form fields a submission of this kind needs, in the order the form shows them."""
    return _FILING_FIELDS if kind is FilingKind.FILING else _REGISTRATION_FIELDS


def _empty(v: object) -> bool:
    return v is None or v == [] or v == ""


def missing(kind: FilingKind, form: FilingForm, materials: set[MaterialType]) -> list[str]:
    """What a submission still lacks, as labels to show the provider; empty when complete."""
    out: list[str] = []
    for name in (_FILING_FIELDS if kind is FilingKind.FILING else _REGISTRATION_FIELDS):
        if _empty(getattr(form, name)):
            out.append(FIELD_LABELS[name])
    if kind is FilingKind.FILING and form.built_on_filed_model and not form.base_model_number:
        out.append(FIELD_LABELS["base_model_number"])
    out.extend(MATERIAL_LABELS[m] for m in REQUIRED_MATERIALS[kind] if m not in materials)
    return out
