"""A seeded demonstration instance (`clearance demo`): accounts for every role, the registry
sample, and filings in every phase of the process, each moved there through the same services
the web pages call — so the audit chain, the timelines, the numbers and the registry entries
are what real use would leave behind.

The caller provides the model endpoint the filings name (the scripted mock endpoint, or the
local model) already listening; the completed assessments are executed here against it, and one
more is scheduled and left for the web application's assessment runner, which starts it when
the server starts. Passwords are generated per instance and returned (the CLI prints them)."""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from clearance.adapters.bankfiles import load_bank_set, starter_banks_dir
from clearance.adapters.material_store import MaterialStore
from clearance.adapters.registry_files import sample_dir
from clearance.domain.banks import BankSet, Kind
from clearance.domain.filings.credit_code import check_character
from clearance.domain.filings.forms import MaterialType
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor, State
from clearance.domain.plan import AssessmentPlan, ExecutionSettings, quick_plan, tc260_plan
from clearance.services import accounts, assessments, batches, registry, review
from clearance.services import filings as filing_service
from clearance.services.demo_materials import materials_for

log = logging.getLogger("clearance.demo")

BEIJING, SHANGHAI = "110000", "310000"
DOMAIN = "demo.clearance.cn"
ADMIN = accounts.operator("demo")


@dataclass(frozen=True)
class Target:
    """The model endpoint the demo's filings name, and how they are assessed."""

    base_url: str
    model: str
    completed_plan: AssessmentPlan  # executed during seeding (central review and later)
    scheduled_plan: AssessmentPlan  # left for the server's runner (the filing in technical assessment)
    max_tokens: int = 512
    description: str = ""


def mock_target(base_url: str) -> Target:
    """The scripted mock endpoint in bank mode: the quick plan takes about a second; the
    scheduled assessment is the full standard plan (1,600 items) one request at a time, so with
    the demo mock's latency it runs for about a minute and a quarter once the server is up —
    long enough to watch its progress as the assessor."""
    return Target(base_url=base_url, model="mock", completed_plan=quick_plan(),
                  scheduled_plan=tc260_plan(execution=ExecutionSettings(concurrency=1)),
                  description="the scripted mock endpoint (answers by rule, not by a model)")


def local_target(base_url: str, model: str) -> Target:
    """SmolLM2-135M on CPU: small samples, one request at a time (llama.cpp serialises them)."""
    small = {Kind.GENERATED_CONTENT: 8, Kind.SHOULD_REFUSE: 6, Kind.SHOULD_ANSWER: 6}
    one = ExecutionSettings(concurrency=1)
    return Target(base_url=base_url, model=model, completed_plan=quick_plan(samples=small, execution=one),
                  scheduled_plan=quick_plan(execution=one), max_tokens=160,
                  description=f"the local model {model} (llama.cpp on CPU)")


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    scope: str  # province or organisation, for the accounts table
    user_id: str = ""


@dataclass
class DemoInstance:
    accounts: list[DemoAccount]
    filings: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # state -> [(id, model name)]
    batch_id: str | None = None
    scheduled_run_id: str | None = None
    registry_entries: int = 0
    seconds: float = 0.0

    def add(self, f: Filing) -> None:
        self.filings.setdefault(f.state.value, []).append((f.id, f.form.model_name or ""))


_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # nothing to misread


def _password() -> str:
    return "demo-" + "".join(secrets.choice(_PASSWORD_ALPHABET) for _ in range(12))


def _credit_code(division: str, serial: str) -> str:
    first17 = "91" + division + serial
    return first17 + check_character(first17)


ORGANISATIONS: dict[str, dict[str, str]] = {
    BEIJING: {"name_zh": "北京示例智能科技有限公司", "name_en": "Demo Intelligence (Beijing) Co., Ltd.",
              "credit_code": _credit_code(BEIJING, "MA01DEM00"), "province": BEIJING,
              "contact_name": "王敏", "contact_phone": "010-6000 0001", "contact_email": f"compliance.bj@{DOMAIN}"},
    SHANGHAI: {"name_zh": "上海示范模型科技有限公司", "name_en": "Demo Models (Shanghai) Co., Ltd.",
               "credit_code": _credit_code(SHANGHAI, "MA02DEM00"), "province": SHANGHAI,
               "contact_name": "陈静", "contact_phone": "021-6000 0002", "contact_email": f"compliance.sh@{DOMAIN}"},
}


def _form(target: Target, model_name: str, contact: str, phone: str, **overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "model_name": model_name, "contact_name": contact, "contact_phone": phone,
        "functions": ["dialogue", "text"], "domain_scope": "general", "built_on_filed_model": False,
        "corpus_size_gb": 640.0, "corpus_tokens": 1_200_000_000_000, "corpus_sources": ["open_source", "self_collected"],
        "foreign_open_source_share": 0.15, "annotation_count": 80_000, "annotators": 36,
        "annotation_rules_summary": "按照 TC260-003 附录 A 的 31 类风险标注；双人标注，分歧由组长裁定。",
        "accuracy_check_ratio": 0.1, "inference_compute": "256 × A800", "concurrency": 1500,
        "third_party_cloud": "none", "service_modes": ["app", "web", "api"],
        "endpoint": {"base_url": target.base_url, "model": target.model},
    }
    form.update(overrides)
    return form


# The filings: (key, province, Chinese name, English name, form overrides). The key names the
# phase the seeding moves it to.
FILINGS: list[tuple[str, str, str, str, dict[str, Any]]] = [
    ("draft", BEIJING, "晨星写作助手", "MorningStar Writer", {}),
    ("submitted", SHANGHAI, "海鸥对话", "Seagull Chat", {}),
    ("provincial_review", BEIJING, "青松问答", "Green Pine QA", {}),
    ("supplement_requested", SHANGHAI, "浦江客服大模型", "Pujiang Service LLM", {"domain_scope": "limited"}),
    ("technical_assessment", BEIJING, "长城代码助手", "Great Wall Coder", {"functions": ["code", "text"]}),
    ("central_review", SHANGHAI, "东方明珠大模型", "Pearl LLM", {}),
    ("approved", BEIJING, "燕京翻译", "Yanjing Translate", {"functions": ["text"]}),
    ("published", BEIJING, "天坛通用大模型", "Temple of Heaven LLM", {}),
    ("published", SHANGHAI, "陆家嘴金融大模型", "Lujiazui Finance LLM", {"domain_scope": "limited"}),
    ("suspended", BEIJING, "颐和园图像生成", "Summer Palace Images", {"functions": ["image"]}),
    ("rejected", SHANGHAI, "黄浦江文本生成", "Huangpu Text", {}),
    ("withdrawn", BEIJING, "香山语音合成", "Fragrant Hills Voice", {"functions": ["voice"]}),
]
# Every state the demo leaves a filing in, in the order of the process (revoked is the one it
# leaves out: it is final, and suspension shows the same oversight path).
PHASES = ("draft", "submitted", "provincial_review", "supplement_requested", "technical_assessment",
          "central_review", "approved", "published", "suspended", "rejected", "withdrawn")
SUPPLEMENT_REASON = "请补充训练语料来源说明，并给出境外开源语料占比的计算依据。"
REJECT_REASON = "安全自评估报告中的拒答率与抽测结果不符，且未说明差异原因。"
SUSPEND_REASON = "公众投诉：生成的图片未添加显式标识（GB 45438-2025），暂停服务待整改。"
REGISTRATION = ("外滩智能客服", "Bund Customer Service")


class _Seeder:
    def __init__(self, db: Engine, store: MaterialStore, target: Target, banks: BankSet) -> None:
        self.db, self.store, self.target, self.banks = db, store, target, banks
        self.actors: dict[str, Actor] = {}

    def users(self) -> list[DemoAccount]:
        orgs = {code: accounts.create_organisation(self.db, actor=ADMIN, data=data)
                for code, data in ORGANISATIONS.items()}
        wanted = [
            ("admin", "admin", {}, "—"),
            ("provider_bj", "provider", {"organisation": orgs[BEIJING].id}, orgs[BEIJING].name_zh),
            ("provider_sh", "provider", {"organisation": orgs[SHANGHAI].id}, orgs[SHANGHAI].name_zh),
            ("reviewer_bj", "provincial_reviewer", {"province": BEIJING}, "北京 Beijing (110000)"),
            ("reviewer_sh", "provincial_reviewer", {"province": SHANGHAI}, "上海 Shanghai (310000)"),
            ("assessor", "assessor", {}, "—"),
            ("central", "central_reviewer", {}, "—"),
        ]
        out = []
        for key, role, extra, scope in wanted:
            email = f"{key.replace('_', '.')}@{DOMAIN}"
            password = _password()
            user = accounts.create_user(self.db, actor=ADMIN, email=email, role=role, password=password, **extra)
            self.actors[key] = accounts.actor_for(user)
            out.append(DemoAccount(role=role, email=email, password=password, scope=scope, user_id=user.id))
        return out

    def provider(self, province: str) -> Actor:
        return self.actors["provider_bj" if province == BEIJING else "provider_sh"]

    def reviewer(self, province: str) -> Actor:
        return self.actors["reviewer_bj" if province == BEIJING else "reviewer_sh"]

    def draft(self, province: str, name: str, english: str, *, kind: str = "filing", complete: bool = True,
              **overrides: Any) -> Filing:
        org = ORGANISATIONS[province]
        if kind == "filing":
            form = _form(self.target, name, org["contact_name"], org["contact_phone"], **overrides)
        else:
            form = {"model_name": name, "contact_name": org["contact_name"], "contact_phone": org["contact_phone"],
                    "functions": ["dialogue"], "domain_scope": "limited", "service_modes": ["mini_program", "app"],
                    **overrides}
        if not complete:  # a draft still being written: a few fields, two materials
            form = {k: form[k] for k in ("model_name", "contact_name", "contact_phone", "functions")}
        actor = self.provider(province)
        f = filing_service.create_draft(self.db, actor=actor, kind=kind, form=form)
        files = materials_for(name, english)
        chosen = list(files)[:2] if not complete else [
            m for m in files if not (kind == "registration" and m is MaterialType.SELF_ASSESSMENT)]
        for mtype in chosen:
            filename, content = files[mtype]
            f = filing_service.upload_material(self.db, actor=actor, filing_id=f.id, material_type=mtype.value,
                                               filename=filename, content=content, store=self.store)
        return f

    def fire(self, actor: Actor, f: Filing, event: str, reason: str | None = None) -> Filing:
        return review.advance(self.db, actor=actor, filing_id=f.id, event=event, reason=reason)

    def to_provincial_review(self, f: Filing) -> Filing:
        f = self.fire(self.provider(f.province), f, "submit")
        return self.fire(self.reviewer(f.province), f, "start_provincial_review")

    def schedule(self, f: Filing, plan: AssessmentPlan) -> str:
        return review.schedule_assessment(self.db, actor=self.actors["assessor"], filing_id=f.id, plan=plan,
                                          banks=self.banks,
                                          endpoint_overrides={"max_tokens": self.target.max_tokens})

    def finish_assessment(self, f: Filing) -> Filing:
        review.sign_assessment(self.db, actor=self.actors["assessor"], filing_id=f.id)
        return self.fire(self.actors["assessor"], f, "complete_assessment")


async def seed(db: Engine, *, store: MaterialStore, target: Target, banks: BankSet | None = None,
               registry_sample: Path | None = None,
               on_step: Callable[[str], None] | None = None) -> DemoInstance:
    """Seed an empty, migrated database. ``target`` must be listening: five assessments are
    executed against it (concurrently) before this returns; a sixth is only scheduled."""
    t0 = time.perf_counter()

    def step(message: str) -> None:
        log.debug("%s", message)
        if on_step is not None:
            on_step(message)

    s = _Seeder(db, store, target, banks or load_bank_set(starter_banks_dir()))
    step("accounts and organisations")
    instance = DemoInstance(accounts=await asyncio.to_thread(s.users))

    folder = registry_sample or sample_dir()
    if (folder / registry.SAMPLE_ENTRIES).is_file():
        step("the registry sample")
        report = await asyncio.to_thread(registry.load_sample, db, folder)
        instance.registry_entries = report.added
    else:
        log.warning("no registry sample at %s: the registry starts with the demo's own entries", folder)

    step("filings in every phase")
    made: dict[str, list[Filing]] = {}
    for key, province, name, english, overrides in FILINGS:
        f = s.draft(province, name, english, complete=key != "draft", **overrides)
        made.setdefault(key, []).append(f)

    # phase 1
    made["submitted"] = [s.fire(s.provider(f.province), f, "submit") for f in made["submitted"]]
    for key in ("provincial_review", "supplement_requested", "technical_assessment", "central_review",
                "approved", "published", "suspended", "rejected"):
        made[key] = [s.to_provincial_review(f) for f in made[key]]
    made["supplement_requested"] = [s.fire(s.reviewer(f.province), f, "request_supplement", SUPPLEMENT_REASON)
                                    for f in made["supplement_requested"]]
    made["rejected"] = [s.fire(s.reviewer(f.province), f, "reject", REJECT_REASON) for f in made["rejected"]]
    made["withdrawn"] = [s.fire(s.provider(f.province), s.fire(s.provider(f.province), f, "submit"), "withdraw")
                         for f in made["withdrawn"]]
    assessed = ("technical_assessment", "central_review", "approved", "published", "suspended")
    for key in assessed:
        made[key] = [s.fire(s.reviewer(f.province), f, "forward") for f in made[key]]

    # phase 2: the completed assessments run now, concurrently; one more waits for the server
    step("assessments against " + (target.description or target.base_url))
    runs = [s.schedule(f, target.completed_plan) for key in assessed[1:] for f in made[key]]
    await asyncio.gather(*(assessments.execute_run(db, run_id, keywords=s.banks.keywords) for run_id in runs))
    for key in assessed[1:]:
        made[key] = [s.finish_assessment(f) for f in made[key]]
    instance.scheduled_run_id = s.schedule(made["technical_assessment"][0], target.scheduled_plan)

    # phases 3 and 4
    step("approvals, a published batch, a suspension")
    central = s.actors["central"]
    for key in ("approved", "published", "suspended"):
        made[key] = [s.fire(central, f, "approve") for f in made[key]]
    batch = batches.compose(db, actor=central, title="Clearance 演示批次 第一批 (demo batch 1)",
                            filing_ids=[f.id for key in ("published", "suspended") for f in made[key]])
    batches.publish(db, actor=central, batch_id=batch.id)
    instance.batch_id = batch.id
    made["suspended"] = [s.fire(central, f, "suspend", SUSPEND_REASON) for f in made["suspended"]]
    # a registration (登记) of an app calling one of the published models, approved in phase 1
    published_number = filing_service.get_filing(db, actor=central, filing_id=made["published"][0].id).number
    reg = s.draft(SHANGHAI, *REGISTRATION, kind="registration", called_model_number=published_number)
    reg = s.to_provincial_review(reg)
    made["approved"].append(s.fire(s.reviewer(SHANGHAI), reg, "approve_registration"))

    for fs in made.values():
        for f in fs:
            reader = s.provider(f.province) if f.state is State.DRAFT else central  # drafts are the provider's
            instance.add(filing_service.get_filing(db, actor=reader, filing_id=f.id))
    for v in instance.filings.values():
        v.sort(key=lambda p: p[1])
    instance.seconds = round(time.perf_counter() - t0, 2)
    step(f"seeded in {instance.seconds:.1f} s")
    return instance
