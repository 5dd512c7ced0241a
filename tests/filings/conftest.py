"""Filing-service fixtures: two provider organisations in two provinces, an actor per role,
complete form data and valid material files."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clearance.adapters.material_store import MaterialStore
from clearance.domain.filings.workflow import Actor, Role
from clearance.services import accounts

BEIJING, SHANGHAI = "110000", "310000"
ADMIN = accounts.operator("test")

ORG_BEIJING = {"name_zh": "北京深度求索人工智能基础技术研究有限公司", "name_en": "DeepSeek AI (Beijing)",
               "credit_code": "91110000802100433B", "province": BEIJING, "contact_name": "张三",
               "contact_phone": "010-12345678", "contact_email": "compliance@example.cn"}
ORG_SHANGHAI = {"name_zh": "上海稀宇科技有限公司", "name_en": "MiniMax (Shanghai)",
                "credit_code": "91310000717854505W", "province": SHANGHAI, "contact_name": "李四",
                "contact_phone": "021-12345678", "contact_email": "compliance@example.com"}

FILING_FORM: dict[str, Any] = {
    "model_name": "云雀 Chat", "contact_name": "张三", "contact_phone": "010-12345678",
    "functions": ["dialogue", "text", "code"], "domain_scope": "general", "built_on_filed_model": False,
    "corpus_size_gb": 820.5, "corpus_tokens": 2_000_000_000_000, "corpus_sources": ["open_source", "self_collected"],
    "foreign_open_source_share": 0.2, "annotation_count": 120_000, "annotators": 40,
    "annotation_rules_summary": "按照TC260-003附录标注", "accuracy_check_ratio": 0.1,
    "inference_compute": "512 × A800", "concurrency": 2000, "third_party_cloud": "none",
    "service_modes": ["app", "web", "api"], "endpoint": {"base_url": "http://127.0.0.1:9/v1", "model": "m"},
}
REGISTRATION_FORM: dict[str, Any] = {
    "model_name": "智能客服助手", "contact_name": "李四", "contact_phone": "021-12345678",
    "functions": ["dialogue"], "domain_scope": "limited", "service_modes": ["mini_program"],
    "called_model_number": "Beijing-DeepseekChat-202404280016",
}

PDF = b"%PDF-1.7\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
DOCX = b"PK\x03\x04" + b"\x00" * 200
MATERIAL_FILES: dict[str, tuple[str, bytes]] = {
    "filing_form": ("备案表.pdf", PDF + b"form"),
    "self_assessment_report": ("安全自评估报告.pdf", PDF + b"report"),
    "service_agreement": ("服务协议.docx", DOCX),
    "annotation_rules": ("标注规则.pdf", PDF + b"rules"),
    "keyword_list": ("keywords.txt", "关键词一\n关键词二\n".encode()),
    "test_sets": ("test-sets.csv", "id,prompt\n1,你好\n".encode()),
}


@dataclass
class World:
    db: Engine
    store: MaterialStore
    org: str
    other_org: str
    provider: Actor
    other_provider: Actor
    reviewer: Actor
    other_reviewer: Actor
    assessor: Actor
    central: Actor
    admin: Actor


@pytest.fixture
def world(db: Engine, tmp_path: Path) -> World:
    org = accounts.create_organisation(db, actor=ADMIN, data=ORG_BEIJING)
    other = accounts.create_organisation(db, actor=ADMIN, data=ORG_SHANGHAI)
    return World(
        db=db, store=MaterialStore(tmp_path / "materials"), org=org.id, other_org=other.id,
        provider=Actor("usr_p1", Role.PROVIDER, organisation=org.id),
        other_provider=Actor("usr_p2", Role.PROVIDER, organisation=other.id),
        reviewer=Actor("usr_r1", Role.PROVINCIAL_REVIEWER, province=BEIJING),
        other_reviewer=Actor("usr_r2", Role.PROVINCIAL_REVIEWER, province=SHANGHAI),
        assessor=Actor("usr_a1", Role.ASSESSOR),
        central=Actor("usr_c1", Role.CENTRAL_REVIEWER),
        admin=Actor("usr_x1", Role.ADMIN),
    )
