"""The Python API: what the CLI does, for notebooks and scripts.

    import clearance
    report = clearance.assess(endpoint="http://127.0.0.1:8000/v1", model="qwen2.5-7b")
    report.summary.decision, [g.verdict for g in report.gates]

Functions take an optional ``database_url``; by default they use the configured database
(``CLEARANCE_DATABASE_URL`` or the SQLite file under ``CLEARANCE_HOME``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clearance.adapters.bankfiles import load_bank_set, starter_banks_dir
from clearance.domain.banks import BankSet, Kind
from clearance.domain.endpoint import EndpointConfig
from clearance.domain.plan import PLANS, AssessmentPlan, ExecutionSettings
from clearance.domain.report import Report

if TYPE_CHECKING:
    from sqlalchemy import Engine


def _db(database_url: str | None) -> Engine:
    from clearance.adapters.db.engine import engine_for
    from clearance.settings import get_settings

    return engine_for(database_url or get_settings().resolved_database_url())


def resolve_banks(folder: Path | str | None = None) -> BankSet:
    """Load a bank folder (default: the configured one, else the starter banks)."""
    from clearance.settings import get_settings

    chosen = Path(folder) if folder else (get_settings().banks_dir or starter_banks_dir())
    return load_bank_set(chosen)


def load_banks(folder: Path | str | None = None) -> BankSet:
    return resolve_banks(folder)


def assess(*, endpoint: str, model: str, plan: str | AssessmentPlan = "tc260",
           banks: Path | str | BankSet | None = None, sample: dict[str, int] | None = None,
           concurrency: int = 16, api_key_env: str | None = None, database_url: str | None = None,
           label: str | None = None, **endpoint_options: Any) -> Report:
    """Run a whole assessment and return its report (also stored in the database)."""
    from clearance.services import assessments

    the_plan = plan if isinstance(plan, AssessmentPlan) else PLANS[plan](
        execution=ExecutionSettings(concurrency=concurrency))
    for k, n in (sample or {}).items():
        the_plan.samples[Kind(k)] = n
    bank_set = banks if isinstance(banks, BankSet) else resolve_banks(banks)
    cfg = EndpointConfig(base_url=endpoint, model=model, api_key_env=api_key_env, **endpoint_options)
    db = _db(database_url)
    record = assessments.schedule(db, plan=the_plan, endpoint=cfg, banks=bank_set, label=label)
    return asyncio.run(assessments.execute_run(db, record.id, keywords=bank_set.keywords))


def resume(run_id: str, *, retry_errors: bool = False, database_url: str | None = None) -> Report:
    from clearance.services import assessments
    from clearance.services.assessment_runner import owner_id
    from clearance.services.run_lease import holding

    db = _db(database_url)

    async def leased() -> Report:
        # the run's lease, as the web app's runner holds it: never executed twice at once
        async with holding(db, run_id, "api:" + owner_id()):
            return await assessments.execute_run(db, run_id, retry_errors=retry_errors)

    return asyncio.run(leased())


def rejudge(run_id: str, *, judges: list[dict[str, Any]] | None = None, database_url: str | None = None) -> Report:
    from clearance.services import assessments

    return assessments.rejudge(_db(database_url), run_id, judges=judges)


def report(run_id: str, *, database_url: str | None = None) -> Report:
    from clearance.services import assessments

    return assessments.build_report(_db(database_url), run_id)
