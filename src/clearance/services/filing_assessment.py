"""Phase 2 and 3 of a filing as the workspace shows them: schedule and follow the technical
assessment, sign it, and read its report next to the filing's materials (and, for a change
filing, against the previous filing's assessment).

Who may read what, beyond seeing the filing: the run's progress and decision are shown to
everyone who sees the filing, but the report itself — the regulator's test questions and the
model's answers — only to assessors and central reviewers, as the public registry shows only a
summary without items (``assessments.public_summary``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine

from clearance.adapters import bankfiles
from clearance.adapters.db import labels as label_repo
from clearance.adapters.db import runs as runs_repo
from clearance.domain.banks import BankSet
from clearance.domain.filings.forms import REQUIRED_MATERIALS, MaterialType
from clearance.domain.filings.records import Filing, Material
from clearance.domain.filings.workflow import Actor, FilingKind, State
from clearance.domain.plan import PLANS, AssessmentPlan
from clearance.domain.policy import Action, allowed, require
from clearance.domain.report import Report
from clearance.domain.report_diff import ReportDiff, diff_reports
from clearance.services import assessments, manual_sample, review
from clearance.services.assessment_runner import AssessmentRunner, RunProgress
from clearance.services.errors import InvalidInput, NotFound
from clearance.services.filings import get_filing, target

PLAN_CHOICES = ("quick", "tc260")
# The phases in which a filing has (or had) an assessment to show.
ASSESSED = frozenset({State.TECHNICAL_ASSESSMENT, State.CENTRAL_REVIEW, State.APPROVED, State.PUBLISHED,
                      State.SUSPENDED, State.REVOKED, State.REJECTED, State.WITHDRAWN})
def may_read_report(actor: Actor) -> bool:
    return allowed(actor, Action.READ_ASSESSMENT_DETAIL)


def _require_report_reader(actor: Actor) -> None:
    require(actor, Action.READ_ASSESSMENT_DETAIL)


def default_banks() -> BankSet:
    """The configured bank folder (CLEARANCE_BANKS_DIR), else the starter banks."""
    from clearance.settings import get_settings

    return bankfiles.load_bank_set(get_settings().banks_dir or bankfiles.starter_banks_dir())


def plan_sizes() -> dict[str, int]:
    return {name: sum(PLANS[name]().samples.values()) for name in PLAN_CHOICES}


# --- phase 2: schedule, resume, progress, sign ------------------------------------------------

def schedule(db: Engine, runner: AssessmentRunner, *, actor: Actor, filing_id: str, plan: str,
             banks_dir: Path | None = None) -> str:
    """Schedule the filing's assessment with a named plan against the endpoint its form names,
    and start it in the runner. Returns the run id."""
    f = get_filing(db, actor=actor, filing_id=filing_id)
    require(actor, Action.RUN_ASSESSMENT, target(f))
    # the input is judged after who may act: a refusal must not depend on what was typed
    if plan not in PLAN_CHOICES:
        raise InvalidInput({"plan": "one of " + ", ".join(PLAN_CHOICES)})
    if f.assessment_run_id is not None and _executing(db, runner, f.assessment_run_id):
        raise InvalidInput({"assessment": "the assessment is running; wait for it to finish before scheduling "
                                          "another"})
    chosen: AssessmentPlan = PLANS[plan]()
    banks = bankfiles.load_bank_set(banks_dir) if banks_dir is not None else default_banks()
    run_id = review.schedule_assessment(db, actor=actor, filing_id=filing_id, plan=chosen, banks=banks)
    runner.start(run_id)
    return run_id


def resume(db: Engine, runner: AssessmentRunner, *, actor: Actor, filing_id: str) -> str:
    """Continue the filing's stopped run; items with a stored result are not sent again."""
    f = get_filing(db, actor=actor, filing_id=filing_id)
    require(actor, Action.RUN_ASSESSMENT, target(f))
    run = _run_of(db, f)
    if run.status == "completed":
        raise InvalidInput({"assessment": "the run has completed"})
    if not runner.start(run.id):
        raise InvalidInput({"assessment": "the run is already running"})
    return run.id


def _executing(db: Engine, runner: AssessmentRunner, run_id: str) -> bool:
    """Whether the run executes now, in this process or in another one holding its lease."""
    if runner.is_running(run_id):
        return True
    try:
        return runs_repo.get_run(db, run_id).leased_by_other(runner.owner, datetime.now(UTC))
    except runs_repo.RunNotFound:
        return False


def _run_of(db: Engine, f: Filing) -> runs_repo.RunRecord:
    if f.assessment_run_id is None:
        # there is no assessment to show or act on: a 404 like any other missing object
        raise NotFound(f"no assessment has been scheduled for filing {f.id}")
    try:
        return runs_repo.get_run(db, f.assessment_run_id)
    except runs_repo.RunNotFound:
        raise NotFound(f"assessment run {f.assessment_run_id!r} is missing") from None


@dataclass(frozen=True, slots=True)
class ProgressView:
    filing: Filing
    run_id: str
    plan: str
    model: str | None
    status: str          # created, running, interrupted, completed, failed
    live: bool           # executed by this process right now (status running, live False: by another)
    total: int
    done: int            # items with a result (errors included)
    errors: int
    rate: float | None   # items per second
    eta_seconds: float | None
    error: str | None
    decision: str | None
    report_sha256: str | None
    sample_size: int | None      # once the run completed
    labelled: int | None
    signed_by: str | None
    signed_at: datetime | None
    can_label: bool
    can_sign: bool
    can_resume: bool
    can_read_report: bool

    @property
    def running(self) -> bool:
        return self.status == "running"

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0


def _progress(db: Engine, runner: AssessmentRunner, actor: Actor, f: Filing) -> ProgressView:
    run = _run_of(db, f)
    counts = runs_repo.item_counts(db, run.id)
    live: RunProgress | None = runner.progress(run.id)
    here = runner.is_running(run.id)
    elsewhere = not here and run.leased_by_other(runner.owner, datetime.now(UTC))
    running = here or elsewhere
    total = run.total_items
    done = total - counts.get("pending", 0)
    errors = counts.get("error", 0)
    rate = round(done / run.active_seconds, 2) if run.active_seconds > 0 and done else None
    status, error = run.status, None
    if here and live is not None:
        # the runner's counts include results still on their way to the database
        status, done, errors, rate = "running", max(done, live.done), max(errors, live.errors), live.rate
    elif elsewhere:
        # another process executes it: the stored counts are its progress; the stored rate only
        # covers its earlier sessions, so none is shown rather than a stale one
        status, rate = "running", None
    elif live is not None and live.status == "failed":
        status, error = "failed", live.error
    elif status == "running":
        # stored as running, but no process holds a live lease: its process died. A surviving
        # process's sweep takes it over once the lease has expired (or the Resume button now)
        status = "interrupted"
    eta = (total - done) / rate if running and rate else None
    completed = run.status == "completed" and not running
    sample_size = labelled = None
    if completed:
        sample = manual_sample.stored_sample(db, run.id)
        if sample is None:
            sample_size, labelled = manual_sample.expected_size(db, run), 0
        else:
            sample_size, labelled = len(sample.item_ids), manual_sample.labelled_count(db, sample)
    may_run = allowed(actor, Action.RUN_ASSESSMENT, target(f))
    unsigned = f.assessment_signed_by is None
    return ProgressView(
        filing=f, run_id=run.id, plan=str(run.plan.get("name", "")), model=run.endpoint.get("model"),
        status=status, live=here, total=total, done=done, errors=errors, rate=rate, eta_seconds=eta,
        error=error, decision=run.decision if completed else None,
        report_sha256=run.report_sha256 if completed else None, sample_size=sample_size, labelled=labelled,
        signed_by=f.assessment_signed_by, signed_at=f.assessment_signed_at,
        can_label=may_run and completed and unsigned and bool(sample_size),
        can_sign=(may_run and completed and unsigned and actor.id in f.assessors
                  and sample_size is not None and labelled == sample_size),
        can_resume=may_run and unsigned and not completed and not running,
        can_read_report=may_read_report(actor))


def progress(db: Engine, runner: AssessmentRunner, *, actor: Actor, filing_id: str) -> ProgressView:
    return _progress(db, runner, actor, get_filing(db, actor=actor, filing_id=filing_id))


def sign(db: Engine, *, actor: Actor, filing_id: str) -> Filing:
    """Sign the completed assessment once its manual sample is labelled. The report is built
    again first, so the signed hash covers every label."""
    f = get_filing(db, actor=actor, filing_id=filing_id)
    require(actor, Action.RUN_ASSESSMENT, target(f))
    if f.assessment_signed_by is not None:
        raise InvalidInput({"assessment": "the assessment is already signed"})
    run = _run_of(db, f)
    if run.status != "completed":
        raise InvalidInput({"assessment": f"the run is '{run.status}'; sign it when it has completed"})
    left = manual_sample.unlabelled(db, run.id)
    if left is None:
        raise InvalidInput({"sample": "the manual sample has not been labelled yet"})
    if left:
        raise InvalidInput({"sample": f"{left} item(s) of the manual sample are not labelled yet"})
    assessments.finalise(db, run.id)
    return review.sign_assessment(db, actor=actor, filing_id=filing_id)


# --- the filing page's panel ------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PanelView:
    filing: Filing
    can_schedule: bool
    plans: dict[str, int]          # plan name -> items it sends
    progress: ProgressView | None
    can_read_report: bool
    can_review: bool               # phase 3 and later, with a run
    has_diff: bool                 # a change filing whose previous filing was assessed
    endpoint: str | None


def panel(db: Engine, runner: AssessmentRunner, *, actor: Actor, filing: Filing) -> PanelView | None:
    """What the filing page shows of phase 2 and 3; None when the filing has no such phase."""
    f = filing
    if f.kind is not FilingKind.FILING or f.state not in ASSESSED:
        return None
    if f.assessment_run_id is None and f.state is not State.TECHNICAL_ASSESSMENT:
        return None  # left the process (withdrawn, rejected) before it was assessed
    prog = _progress(db, runner, actor, f) if f.assessment_run_id else None
    may_run = allowed(actor, Action.RUN_ASSESSMENT, target(f))
    return PanelView(
        filing=f,
        can_schedule=may_run and f.assessment_signed_by is None and not (prog is not None and prog.running),
        plans=plan_sizes(), progress=prog, can_read_report=may_read_report(actor) and prog is not None,
        can_review=(may_read_report(actor) and prog is not None and f.state is not State.TECHNICAL_ASSESSMENT),
        has_diff=may_read_report(actor) and prog is not None and _previous_run(db, actor, f) is not None,
        endpoint=None if f.form.endpoint is None else f"{f.form.endpoint.base_url} · {f.form.endpoint.model}")


# --- phase 3: the report, the review page, the change diff ---------------------------------------

def report(db: Engine, *, actor: Actor, filing_id: str) -> Report:
    """The filing's full assessment report (items included)."""
    f = get_filing(db, actor=actor, filing_id=filing_id)
    _require_report_reader(actor)
    return assessments.build_report(db, _run_of(db, f).id)


@dataclass(frozen=True, slots=True)
class ReviewView:
    filing: Filing
    report: Report
    run: runs_repo.RunRecord
    materials: list[tuple[MaterialType, Material | None]]
    labelled: int
    sample_size: int | None
    labellers: list[str]
    has_diff: bool


def review_view(db: Engine, *, actor: Actor, filing_id: str) -> ReviewView:
    f = get_filing(db, actor=actor, filing_id=filing_id)
    _require_report_reader(actor)
    run = _run_of(db, f)
    rep = assessments.build_report(db, run.id, include_items=False)
    sample = manual_sample.stored_sample(db, run.id)
    labels = label_repo.latest_labels(db, run.id)
    current = f.current_materials()
    return ReviewView(filing=f, report=rep, run=run,
                      materials=[(m, current.get(m)) for m in REQUIRED_MATERIALS[f.kind]],
                      labelled=sum(1 for i in sample.item_ids if i in labels) if sample else 0,
                      sample_size=len(sample.item_ids) if sample else None,
                      labellers=sorted({lab.labeller for lab in labels.values()}),
                      has_diff=_previous_run(db, actor, f) is not None)


def _previous_run(db: Engine, actor: Actor, f: Filing) -> str | None:
    if f.previous_filing_id is None:
        return None
    try:
        prev = get_filing(db, actor=actor, filing_id=f.previous_filing_id)
    except NotFound:
        return None
    return prev.assessment_run_id


@dataclass(frozen=True, slots=True)
class DiffView:
    filing: Filing
    previous_filing_id: str
    diff: ReportDiff


def diff_view(db: Engine, *, actor: Actor, filing_id: str) -> DiffView:
    """A change filing's assessment against the previous filing's."""
    f = get_filing(db, actor=actor, filing_id=filing_id)
    _require_report_reader(actor)
    if f.previous_filing_id is None:
        raise InvalidInput({"filing": "this is not a change filing: there is no previous filing to compare with"})
    before = _previous_run(db, actor, f)
    if before is None:
        raise InvalidInput({"filing": "the previous filing has no assessment to compare with"})
    after = _run_of(db, f)
    diff = diff_reports(assessments.build_report(db, before), assessments.build_report(db, after.id))
    return DiffView(filing=f, previous_filing_id=f.previous_filing_id, diff=diff)
