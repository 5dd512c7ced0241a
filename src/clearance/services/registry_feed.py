"""Feeding the public registry from the filing service: a published batch is announced there,
and suspension, reinstatement and revocation of a published filing are mirrored.

The registry commits in its own transactions (services.registry), so the feed runs after the
filing service's transaction has committed: the registry never shows a publication that was
rolled back. Should the feed fail after that commit, ``announce`` can simply be run again: the
registry skips entries it already holds, so announcing twice adds nothing."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import Engine

from clearance.adapters.db import audit_log as audit_repo
from clearance.adapters.db import filings as repo
from clearance.adapters.db import registry as registry_repo
from clearance.adapters.db import runs as runs_repo
from clearance.domain.audit import AuditEvent
from clearance.domain.filings.forms import DomainScope, Function
from clearance.domain.filings.organisations import province_for
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Event, FilingKind, State
from clearance.domain.registry import entries as reg
from clearance.services import registry
from clearance.services.errors import InvalidInput, NotFound

log = logging.getLogger("clearance.registry_feed")

_TEXT_ONLY = {Function.DIALOGUE, Function.TEXT, Function.CODE}


def _report_sha256(db: Engine, f: Filing) -> str | None:
    if f.assessment_run_id is None:
        return None
    try:
        return runs_repo.get_run(db, f.assessment_run_id).report_sha256
    except runs_repo.RunNotFound:
        return None


def entry_for(db: Engine, f: Filing, names: tuple[str, str]) -> reg.Entry:
    """The registry row of an approved filing (the six published columns plus the facets)."""
    form = f.form
    functions = set(form.functions or ())
    return reg.Entry(
        kind=reg.Kind.FILING if f.kind is FilingKind.FILING else reg.Kind.REGISTRATION,
        province=province_for(f.province).key, model_name=form.model_name, entity_zh=names[0], entity_en=names[1],
        number=f.number, date=f.approved_on, date_precision=reg.DatePrecision.DAY,
        rd_mode=None if form.built_on_filed_model is None else
        (reg.RdMode.FINE_TUNED if form.built_on_filed_model else reg.RdMode.SELF_DEVELOPED),
        data_type=None if not functions else (reg.DataType.TEXT if functions <= _TEXT_ONLY else reg.DataType.MULTIMODAL),
        scope=None if form.domain_scope is None else
        (reg.Scope.GENERAL if form.domain_scope is DomainScope.GENERAL else reg.Scope.INDUSTRY),
        report_sha256=_report_sha256(db, f), phase_days=phase_days(audit_repo.for_object(db, "filing", f.id)))


def phase_days(events: list[AuditEvent]) -> dict[str, float] | None:
    """Days in each review phase, from the filing's own audit trail: provincial review runs from
    the first submission to forwarding (or to approval, for a registration), technical
    assessment from forwarding to its completion, central review from there to approval. A
    supplement round counts in the phase that asked for it."""
    def first(action: str) -> datetime | None:
        return next((e.at for e in events if e.action == action), None)

    def last(action: str) -> datetime | None:
        return next((e.at for e in reversed(events) if e.action == action), None)

    submitted = first(f"filing.{Event.SUBMIT.value}")
    forwarded = last(f"filing.{Event.FORWARD.value}")
    completed = last(f"filing.{Event.COMPLETE_ASSESSMENT.value}")
    approved = last(f"filing.{Event.APPROVE.value}") or last(f"filing.{Event.APPROVE_REGISTRATION.value}")
    if submitted is None or approved is None:
        return None

    def days(a: datetime, b: datetime) -> float:
        return round((b - a).total_seconds() / 86400, 2)

    out = {"total": days(submitted, approved)}
    if forwarded is not None and completed is not None:
        out |= {"provincial_review": days(submitted, forwarded), "technical_assessment": days(forwarded, completed),
                "central_review": days(completed, approved)}
    else:
        out["provincial_review"] = days(submitted, approved)
    return out


def announce(db: Engine, *, batch_id: str) -> int:
    """Publish a published batch's filings in the registry; returns how many entries were new."""
    with db.connect() as conn:
        batch = repo.get_batch(conn, batch_id)
        if batch is None:
            raise NotFound(f"no batch {batch_id!r}")
        if batch.status != "published" or batch.published_at is None:
            raise InvalidInput({"batch": "only a published batch is announced"})
        rows = []
        for fid in batch.filing_ids:
            f = repo.get_filing(conn, fid)
            assert f is not None  # foreign key
            org = repo.get_organisation(conn, f.organisation_id)
            assert org is not None
            rows.append((f, (org.name_zh, org.name_en)))
    entries = [entry_for(db, f, names) for f, names in rows]
    published_on = batch.published_at.astimezone(UTC).date()
    added = registry.publish(db, entries, reg.Batch(key=batch.id, title=batch.title, published_on=published_on,
                                                    date_precision=reg.DatePrecision.DAY))
    for f, _ in rows:
        _carry_status(db, f)
    return added


def _carry_status(db: Engine, f: Filing) -> None:
    """A filing suspended or revoked before its batch reached the registry (a feed rerun) gets
    that status there too, with the reason it was given."""
    status = {State.SUSPENDED: reg.Status.SUSPENDED, State.REVOKED: reg.Status.REVOKED}.get(f.state)
    if status is None or f.number is None:
        return
    current = registry_repo.find_by_number(db, f.number)
    if current is None or current.status is status:
        return
    last = next((e for e in reversed(audit_repo.for_object(db, "filing", f.id))
                 if e.action in ("filing.suspend", "filing.revoke")), None)
    registry.change_status(db, number=f.number, status=status,
                           reason=(last.reason if last and last.reason else f"{status.value} in Clearance"),
                           at=last.at if last else datetime.now(UTC))


_MIRRORED = {Event.SUSPEND: reg.Status.SUSPENDED, Event.REINSTATE: reg.Status.PUBLISHED,
             Event.REVOKE: reg.Status.REVOKED}


def mirror(db: Engine, *, filing: Filing, event: Event, reason: str | None, at: datetime) -> None:
    """Show a suspension, reinstatement or revocation on the filing's registry entry."""
    status = _MIRRORED.get(event)
    if status is None or filing.number is None:
        return
    try:
        registry.change_status(db, number=filing.number, status=status, reason=reason or "", at=at)
    except LookupError:
        # the filing's batch never reached the registry (a failed feed): rerunning `announce`
        # carries the current status over, so nothing is lost by not failing here
        log.warning("filing %s (%s) has no registry entry to mark %s", filing.id, filing.number, status.value)
