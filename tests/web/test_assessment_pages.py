"""Phase 2 and 3 in the browser: schedule the assessment, follow it, label the manual sample,
sign, complete; the central reviewer's review page; a change filing's diff; the runner's
graceful shutdown and resume; and the edges that must change nothing."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from clearance.adapters.bankfiles import starter_banks_dir
from clearance.adapters.db import runs as runs_repo
from clearance.adapters.db.tables import human_labels, runs
from clearance.adapters.db.tables_filings import audit_events, filings
from clearance.adapters.endpoints.mock import MockConfig, prompt_key
from clearance.domain.filings.workflow import State
from clearance.domain.plan import quick_plan
from clearance.services import assessments, review
from clearance.services import filings as filing_service
from clearance.services.assessment_runner import AssessmentRunner
from clearance.services.errors import InvalidInput
from tests.web.assessment_fixtures import (
    Browser,
    Office,
    live_server,
    make_office,
    mock_endpoint,
    mock_stats,
)

ITEM = re.compile(r'name="item_id" value="([^"]+)"')
POSITION = re.compile(r'id="position">(\d+) / (\d+)<')


def _wait_for(browser: Browser, filing_id: str, status: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        data: dict[str, Any] = browser.get(f"/filings/{filing_id}/assessment.json").json()
        if data["status"] == status:
            return data
        assert time.monotonic() < deadline, f"the run did not reach {status}: {data}"
        time.sleep(0.1)


def _snapshot(db: Engine) -> tuple[Any, ...]:
    """What a refused request must leave alone: filings, runs, labels, the audit log."""
    with db.connect() as c:
        rows = tuple(tuple(r) for r in c.execute(select(filings).order_by(filings.c.id)).all())
        counts = tuple(c.execute(select(func.count()).select_from(t)).scalar_one()
                       for t in (runs, human_labels, audit_events))
    return rows, counts


def _agree_or_decide(page: str, item_id: str, at: str) -> dict[str, str]:
    """The label form an assessor who agrees with the judges sends: "agree" where the judges
    reached one verdict, else their own (the page disables Agree when the judges disagree)."""
    if 'id="agree-button" disabled' in page:
        return {"item_id": item_id, "at": at, "action": "override", "refusal_class": "full_compliance", "harmful": "no"}
    return {"item_id": item_id, "at": at, "action": "agree"}


def _labels(db: Engine) -> list[Any]:
    with db.connect() as c:
        return list(c.execute(select(human_labels).order_by(human_labels.c.id)).all())


@pytest.fixture
def office(db: Engine, tmp_path: Path) -> Office:
    return make_office(db, tmp_path)


@pytest.fixture
def browsers() -> Iterator[list[Browser]]:
    made: list[Browser] = []
    yield made
    for b in made:
        b.close()


def _login(browsers: list[Browser], site: str, office: Office, who: str) -> Browser:
    b = Browser(site)
    b.login(Office.EMAILS[who])
    browsers.append(b)
    return b


# --- end to end -------------------------------------------------------------------------------------

def test_schedule_follow_label_sign_complete_and_review_over_http(office: Office,
                                                                  browsers: list[Browser]) -> None:
    bank_mock = MockConfig(mode="bank", banks_dir=starter_banks_dir())
    with mock_endpoint(bank_mock) as mock, live_server(office.app()) as site:
        f = office.filing_in_assessment(mock + "/v1")
        a = _login(browsers, site, office, "assessor")
        page = a.get(f"/filings/{f.id}")
        assert 'id="schedule-form"' in page.text and mock in page.text  # the endpoint from the form

        resp = a.post(f"/filings/{f.id}/assessment/schedule", {"plan": "quick"})
        assert resp.status_code == 303 and resp.headers["location"] == f"/filings/{f.id}/assessment"
        page = a.get(f"/filings/{f.id}/assessment")
        assert page.status_code == 200 and 'data-progress-url="/filings/' in page.text
        assert "/static/assessment.js" in page.text
        data = _wait_for(a, f.id, "completed")
        assert data["done"] == data["total"] == 100 and data["errors"] == 0
        assert data["decision"] in ("PASS", "FAIL", "MARGINAL") and data["sample_size"] == 40
        assert mock_stats(mock)["total"] == 100
        page = a.get(f"/filings/{f.id}/assessment")
        assert 'http-equiv="refresh"' not in page.text and 'id="label-link"' in page.text
        assert 'id="sign-form"' not in page.text  # not before the sample is labelled

        # the manual sample: 40 generated-content answers (the quick plan's), one at a time
        page = a.get(f"/filings/{f.id}/assessment/label")
        assert POSITION.search(page.text).groups() == ("1", "40")  # type: ignore[union-attr]
        assert "<kbd>A</kbd>" in page.text and 'id="agree-form"' in page.text and 'id="override-form"' in page.text
        first = ITEM.search(page.text).group(1)  # type: ignore[union-attr]
        resp = a.post(f"/filings/{f.id}/assessment/label",
                      {"item_id": first, "at": "1", "action": "override", "refusal_class": "full_compliance",
                       "harmful": "yes", "risk_code": "A.1f", "note": "仍含有害内容"})
        assert resp.status_code == 303 and resp.headers["location"].endswith("?at=2")
        seen = {first}
        location = resp.headers["location"]
        while "complete=1" not in location:
            page = a.get(location)
            item_id = ITEM.search(page.text).group(1)  # type: ignore[union-attr]
            at = POSITION.search(page.text).group(1)  # type: ignore[union-attr]
            seen.add(item_id)
            resp = a.post(f"/filings/{f.id}/assessment/label", _agree_or_decide(page.text, item_id, at))
            assert resp.status_code == 303, resp.text
            location = resp.headers["location"]
        assert len(seen) == 40
        # changing one's mind appends a label; the newest counts
        resp = a.post(f"/filings/{f.id}/assessment/label",
                      {"item_id": first, "at": "1", "action": "override", "refusal_class": "full_compliance",
                       "harmful": "no"})
        assert resp.status_code == 303
        stored = _labels(office.db)
        assert len(stored) == 41 and {r.labeller for r in stored} == {office.assessor.id}
        with office.db.connect() as conn:
            audited = conn.execute(select(audit_events.c.object_id, audit_events.c.actor)
                                   .where(audit_events.c.action == "label.recorded")).all()
        assert len(audited) == 41 and set(audited) == {(stored[0].run_id, office.assessor.id)}
        assert "Every item of the sample is labelled" in a.get(location).text

        page = a.get(f"/filings/{f.id}/assessment")
        assert 'id="sign-form"' in page.text
        resp = a.post(f"/filings/{f.id}/assessment/sign")
        assert resp.status_code == 303
        again = a.post(f"/filings/{f.id}/assessment/sign")
        assert again.status_code == 422 and "already signed" in again.text
        signed = filing_service.get_filing(office.db, actor=office.assessor, filing_id=f.id)
        run = runs_repo.get_run(office.db, signed.assessment_run_id or "")
        assert signed.assessment_signed_by == office.assessor.id and run.report_sha256

        page = a.get(f"/filings/{f.id}")
        assert 'data-event="complete_assessment"' in page.text
        resp = a.post(f"/filings/{f.id}/events", {"event": "complete_assessment"})
        assert resp.status_code == 303
        assert filing_service.get_filing(office.db, actor=office.assessor, filing_id=f.id).state \
            is State.CENTRAL_REVIEW

        # phase 3: the central reviewer reads the report next to the materials
        c = _login(browsers, site, office, "central")
        page = c.get(f"/filings/{f.id}")
        assert 'id="review-link"' in page.text and 'id="report-link"' in page.text
        page = c.get(f"/filings/{f.id}/review")
        assert page.status_code == 200
        assert 'class="side-by-side"' in page.text and "95% Wilson interval" in page.text
        assert 'id="gate-should-refuse"' in page.text and 'id="agreement"' in page.text
        assert run.report_sha256 in page.text
        mat = signed.current_materials()
        for m in mat.values():
            assert m.sha256 in page.text and f"/filings/{f.id}/materials/{m.id}" in page.text
        report = c.get(f"/filings/{f.id}/assessment/report")
        assert report.status_code == 200 and "script-src" not in report.headers["content-security-policy"]
        assert "<script" not in report.text
        assert c.get(f"/filings/{f.id}/assessment/report.json").json()["run_id"] == run.id

        # the provider sees the status, not the regulator's questions and answers
        p = _login(browsers, site, office, "provider")
        page = p.get(f"/filings/{f.id}")
        assert 'id="panel-run-status"' in page.text and 'id="report-link"' not in page.text
        assert p.get(f"/filings/{f.id}/review").status_code == 403
        assert p.get(f"/filings/{f.id}/assessment/report").status_code == 403


def test_zh_pages_are_translated(office: Office, browsers: list[Browser]) -> None:
    with mock_endpoint(MockConfig(mode="refuse")) as mock, live_server(office.app()) as site:
        f = office.filing_in_assessment(mock + "/v1")
        a = Browser(site, lang="zh")
        browsers.append(a)
        a.login(Office.EMAILS["assessor"])
        assert "安排评估" in a.get(f"/filings/{f.id}").text
        a.post(f"/filings/{f.id}/assessment/schedule", {"plan": "quick"})
        _wait_for(a, f.id, "completed")
        assert "技术评估" in a.get(f"/filings/{f.id}/assessment").text
        page = a.get(f"/filings/{f.id}/assessment/label")
        assert "同意" in page.text and "人工抽检" in page.text


# --- graceful shutdown and resume --------------------------------------------------------------------

def test_a_shutdown_mid_run_keeps_completed_items_and_a_new_server_resumes_without_resending(
        office: Office, browsers: list[Browser]) -> None:
    slow = MockConfig(mode="comply", latency_ms=400)
    with mock_endpoint(slow) as mock:
        f = office.filing_in_assessment(mock + "/v1")
        with live_server(office.app()) as site:
            a = _login(browsers, site, office, "assessor")
            assert a.post(f"/filings/{f.id}/assessment/schedule", {"plan": "quick"}).status_code == 303
            run_id = filing_service.get_filing(office.db, actor=office.assessor, filing_id=f.id).assessment_run_id
            assert run_id is not None
            deadline = time.monotonic() + 30
            while runs_repo.item_counts(office.db, run_id).get("done", 0) < 16:
                assert time.monotonic() < deadline
                time.sleep(0.05)
        # the server is gone; its lifespan shut the runner down
        run = runs_repo.get_run(office.db, run_id)
        counts = runs_repo.item_counts(office.db, run_id)
        assert run.status == "interrupted", run.status
        assert counts.get("done", 0) >= 16 and counts.get("pending", 0) > 0
        stored = runs_repo.load_items(office.db, run_id, statuses=["done"])
        before = mock_stats(mock)
        assert before["total"] < 100

        with live_server(office.app()) as site:  # a new app, a new runner: resumes at start-up
            a = _login(browsers, site, office, "assessor")
            data = _wait_for(a, f.id, "completed")
        after = mock_stats(mock)
        assert data["done"] == 100 and runs_repo.get_run(office.db, run_id).status == "completed"
        # stored items were not sent again; exactly the items without a result were
        for s in stored:
            key = prompt_key(s.item.prompt)
            assert after["calls"][key] == before["calls"][key], s.item.item_id
        assert after["total"] - before["total"] == counts["pending"]


def test_the_runner_reports_a_failed_run_and_refuses_work_after_shutdown(db: Engine) -> None:
    runner = AssessmentRunner(db)
    assert runner.start("no-such-run")
    final = runner.join("no-such-run", timeout=10)
    assert final is not None and final.status == "failed" and "RunNotFound" in (final.error or "")
    assert not runner.is_running("no-such-run")
    runner.shutdown()
    with pytest.raises(RuntimeError):
        runner.start("no-such-run")


# --- edges that change nothing -----------------------------------------------------------------------

def _completed_filing(office: Office, mock: str) -> tuple[str, str]:
    """A filing in technical assessment whose quick-plan run (by the assessor) has completed."""
    f = office.filing_in_assessment(mock + "/v1")
    run_id = review.schedule_assessment(office.db, actor=office.assessor, filing_id=f.id, plan=quick_plan(),
                                        banks=_banks())
    runner = AssessmentRunner(office.db)
    runner.start(run_id)
    final = runner.join(run_id, timeout=60)
    runner.shutdown()
    assert final is not None and final.status == "completed"
    return f.id, run_id


def _banks() -> Any:
    from clearance.adapters.bankfiles import load_bank_set

    return load_bank_set(starter_banks_dir())


def test_only_assessors_schedule_label_and_sign(office: Office, browsers: list[Browser]) -> None:
    with mock_endpoint(MockConfig(mode="comply")) as mock, live_server(office.app()) as site:
        fid, _run = _completed_filing(office, mock)
        a = _login(browsers, site, office, "assessor")
        page = a.get(f"/filings/{fid}/assessment/label")  # draws the sample
        item = ITEM.search(page.text).group(1)  # type: ignore[union-attr]
        for who in ("provider", "reviewer", "central"):
            b = _login(browsers, site, office, who)
            before = _snapshot(office.db)
            assert 'id="schedule-form"' not in b.get(f"/filings/{fid}").text
            for url, form in [(f"/filings/{fid}/assessment/schedule", {"plan": "quick"}),
                              (f"/filings/{fid}/assessment/label", {"item_id": item, "action": "agree"}),
                              (f"/filings/{fid}/assessment/sign", {}),
                              (f"/filings/{fid}/assessment/resume", {})]:
                resp = b.post(url, form)
                assert resp.status_code == 403, (who, url, resp.status_code)
                assert "Not allowed" in resp.text
            assert b.get(f"/filings/{fid}/assessment/label").status_code == 403
            assert _snapshot(office.db) == before
        # the progress is no secret to those who see the filing
        assert b.get(f"/filings/{fid}/assessment.json").json()["status"] == "completed"


def test_bad_labels_and_signatures_are_refused_and_change_nothing(office: Office,
                                                                  browsers: list[Browser]) -> None:
    with mock_endpoint(MockConfig(mode="comply")) as mock, live_server(office.app()) as site:
        fid, run_id = _completed_filing(office, mock)
        a = _login(browsers, site, office, "assessor")
        page = a.get(f"/filings/{fid}/assessment/label")
        item = ITEM.search(page.text).group(1)  # type: ignore[union-attr]
        not_sampled = next(s.item.item_id for s in runs_repo.load_items(office.db, run_id)
                           if s.item.kind != "generated-content")
        before = _snapshot(office.db)
        cases = [
            ({"item_id": not_sampled, "action": "agree"}, "not in the manual sample"),
            ({"item_id": "gc-nope", "action": "override", "harmful": "no"}, "not in the manual sample"),
            ({"item_id": item, "action": "override", "harmful": "maybe"}, "yes or no"),
            ({"item_id": item, "action": "override", "refusal_class": "shrug", "harmful": "no"},
             "Choose refused, partial refusal or complied"),
            ({"item_id": item, "action": "override", "harmful": "yes", "risk_code": ""}, "needs a known risk code"),
            ({"item_id": item, "action": "override", "harmful": "yes", "risk_code": "Z.9"}, "needs a known risk code"),
            ({"item_id": item, "action": "override", "refusal_class": "full_refusal"}, "harmful (yes or no)"),
        ]
        for form, message in cases:
            resp = a.post(f"/filings/{fid}/assessment/label", {"at": "1", **form})
            assert resp.status_code == 422, (form, resp.status_code)
            assert message in resp.text, form
            assert 'id="override-form"' in resp.text  # the page again, with the message
        stale = a.client.post(f"/filings/{fid}/assessment/label",
                            data={"csrf_token": "stale", "item_id": item, "action": "agree"})
        assert stale.status_code == 403 and "This form has expired" in stale.text
        assert a.get(f"/filings/{fid}/assessment/label?at=999").status_code == 404
        resp = a.post(f"/filings/{fid}/assessment/sign")
        assert resp.status_code == 422 and "not labelled yet" in resp.text
        resp = a.post(f"/filings/{fid}/assessment/schedule", {"plan": "everything"})
        assert resp.status_code == 422
        assert _snapshot(office.db) == before

        # label everything; a second assessor, who did not work on it, may not sign
        location = f"/filings/{fid}/assessment/label?at=1"
        while "complete=1" not in location:
            page = a.get(location)
            resp = a.post(f"/filings/{fid}/assessment/label",
                          _agree_or_decide(page.text, ITEM.search(page.text).group(1),  # type: ignore[union-attr]
                                           POSITION.search(page.text).group(1)))  # type: ignore[union-attr]
            location = resp.headers["location"]
        other = _login(browsers, site, office, "other_assessor")
        before = _snapshot(office.db)
        resp = other.post(f"/filings/{fid}/assessment/sign")
        assert resp.status_code == 422 and "only an assessor who ran" in resp.text
        assert _snapshot(office.db) == before
        assert a.post(f"/filings/{fid}/assessment/sign").status_code == 303
        # signed: the labels are final, the assessment is not scheduled again
        before = _snapshot(office.db)
        resp = a.post(f"/filings/{fid}/assessment/label", {"item_id": item, "at": "1", "action": "agree"})
        assert resp.status_code == 422 and "its labels can no longer change" in resp.text
        assert a.post(f"/filings/{fid}/assessment/sign").status_code == 422
        assert a.post(f"/filings/{fid}/assessment/schedule", {"plan": "quick"}).status_code == 422
        assert _snapshot(office.db) == before


# --- a change filing against the previous filing ------------------------------------------------------

def test_a_change_filing_shows_gate_values_and_flipped_items(office: Office,
                                                            browsers: list[Browser]) -> None:
    with mock_endpoint(MockConfig(mode="comply")) as complying, mock_endpoint(MockConfig(mode="refuse")) as refusing, \
            live_server(office.app()) as site:
        first, first_run = _completed_filing(office, complying)
        review.sign_assessment(office.db, actor=office.assessor, filing_id=first)
        review.advance(office.db, actor=office.assessor, filing_id=first, event="complete_assessment")
        review.advance(office.db, actor=office.central, filing_id=first, event="approve")
        change = office.filing_in_assessment(refusing + "/v1", previous=first)
        run_id = review.schedule_assessment(office.db, actor=office.other_assessor, filing_id=change.id,
                                            plan=quick_plan(), banks=_banks())
        runner = AssessmentRunner(office.db)
        runner.start(run_id)
        runner.join(run_id, timeout=60)
        runner.shutdown()

        c = _login(browsers, site, office, "central")
        page = c.get(f"/filings/{change.id}/diff")
        assert page.status_code == 200, page.text
        assert first_run in page.text and run_id in page.text
        row = re.search(r'<tr id="diff-should-answer"[^>]*>(.*?)</tr>', page.text, re.S)
        assert row is not None and "0.0%" in row.group(1) and "100.0%" in row.group(1)
        flips = re.findall(r'<tr class="(improved|worsened)"><td><code>[^<]+</code></td><td>[^<]+</td>'
                           r'<td>[^<]+</td><td>([^<]+)</td>', page.text)
        # every should-refuse item is now refused (better), every should-answer item too (worse);
        # answers that echoed a keyword, or that the harm classifier flagged, are now refusals,
        # which the keyword and classifier gates count as safe
        assert flips.count(("improved", "should-refuse")) == 30
        assert flips.count(("worsened", "should-answer")) == 30
        assert {gate for change, gate in flips if change == "improved"} <= {
            "should-refuse", "generated-content-keyword", "generated-content-classifier"}
        assert len(flips) == len(re.findall(r'<tr class="(?:improved|worsened)">', page.text))
        assert c.get(f"/filings/{first}/diff").status_code == 422  # not a change filing
        assert 'id="diff-link"' in c.get(f"/filings/{change.id}").text
        p = _login(browsers, site, office, "provider")
        assert p.get(f"/filings/{change.id}/diff").status_code == 403


def test_finalised_report_keeps_the_signed_hash(office: Office) -> None:
    """Signing through the page builds the report first, so the stored hash is the report's."""
    with mock_endpoint(MockConfig(mode="comply")) as mock:
        fid, run_id = _completed_filing(office, mock)
    from clearance.services import filing_assessment, manual_sample

    f = filing_service.get_filing(office.db, actor=office.assessor, filing_id=fid)
    sample = manual_sample.ensure_sample(office.db, actor=office.assessor, filing=f)
    for item_id in sample.item_ids:
        try:
            manual_sample.record_label(office.db, actor=office.assessor, filing_id=fid, item_id=item_id, agree=True)
        except InvalidInput:  # the judges disagree on this one: the assessor decides
            manual_sample.record_label(office.db, actor=office.assessor, filing_id=fid, item_id=item_id, agree=False,
                                       refusal_class="full_compliance", harmful=False)
    filing_assessment.sign(office.db, actor=office.assessor, filing_id=fid)
    assert runs_repo.get_run(office.db, run_id).report_sha256 == assessments.build_report(office.db, run_id).sha256()
