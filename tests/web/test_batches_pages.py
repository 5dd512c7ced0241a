"""The central reviewer's publication batches page, driven as a browser drives it: log in
through /login, take the CSRF token from the page, compose a batch from approved filings,
publish it and find its entries in the public registry. Illegal attempts change nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from clearance.adapters.db.tables_filings import audit_events, batches
from clearance.adapters.material_store import MaterialStore
from clearance.domain.banks import BankSet
from clearance.domain.filings.records import Filing
from clearance.domain.filings.workflow import Actor, Role
from clearance.interfaces.web.app import create_app
from clearance.services import accounts, review
from clearance.services import filings as filing_service
from tests.filings import flows
from tests.filings.conftest import ADMIN, BEIJING, ORG_BEIJING, World
from tests.web.workspace_client import Browser

PASSWORD = "a long enough passphrase"
CENTRAL, PROVINCIAL, ASSESSOR = "central@cac.gov.cn", "r@bj.gov.cn", "assessor@tc260.cn"
READER = Actor("usr_reader", Role.CENTRAL_REVIEWER)


@dataclass
class Desk:
    app: FastAPI
    db: Engine
    approved: list[Filing]
    in_central_review: Filing

    def browser(self, email: str, lang: str = "en") -> Browser:
        b = Browser(self.app, lang=lang)
        assert b.login(email, PASSWORD).status_code == 303  # takes the session's CSRF token from a page
        return b


def _central_review(w: World, banks: BankSet, model_name: str) -> Filing:
    f = flows.draft(w, model_name=model_name)
    review.advance(w.db, actor=w.provider, filing_id=f.id, event="submit")
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="start_provincial_review")
    review.advance(w.db, actor=w.reviewer, filing_id=f.id, event="forward")
    flows.run_assessment(w, f.id, banks)
    review.sign_assessment(w.db, actor=w.assessor, filing_id=f.id)
    return review.advance(w.db, actor=w.assessor, filing_id=f.id, event="complete_assessment")


@pytest.fixture
def desk(db: Engine, fixture_banks: BankSet, tmp_path: Path) -> Iterator[Desk]:
    org = accounts.create_organisation(db, actor=ADMIN, data=ORG_BEIJING)
    # the filings are moved along by the services with these actors; the pages are used by the
    # accounts below, who log in
    world = World(db=db, store=MaterialStore(tmp_path / "materials"), org=org.id, other_org=org.id,
                  provider=Actor("usr_p1", Role.PROVIDER, organisation=org.id),
                  other_provider=Actor("usr_p2", Role.PROVIDER, organisation=org.id),
                  reviewer=Actor("usr_r1", Role.PROVINCIAL_REVIEWER, province=BEIJING),
                  other_reviewer=Actor("usr_r2", Role.PROVINCIAL_REVIEWER, province=BEIJING),
                  assessor=Actor("usr_a1", Role.ASSESSOR), central=Actor("usr_c1", Role.CENTRAL_REVIEWER),
                  admin=Actor("usr_x1", Role.ADMIN))
    for email, role, extra in [(CENTRAL, "central_reviewer", {}), (ASSESSOR, "assessor", {}),
                               (PROVINCIAL, "provincial_reviewer", {"province": BEIJING})]:
        accounts.create_user(db, actor=ADMIN, email=email, role=role, password=PASSWORD, **extra)
    approved = []
    for name in ("云雀 Chat", "星火 Writer", "灵犀 Code"):
        f = _central_review(world, fixture_banks, name)
        approved.append(review.advance(db, actor=world.central, filing_id=f.id, event="approve"))
    waiting = _central_review(world, fixture_banks, "未决 Model")
    yield Desk(create_app(db, cache_check_interval=0), db, approved, waiting)


def _count(db: Engine, table: object) -> int:
    with db.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _state(db: Engine, fid: str) -> str:
    return filing_service.get_filing(db, actor=READER, filing_id=fid).state.value


def test_compose_and_publish_a_batch_into_the_registry(desk: Desk) -> None:
    b = desk.browser(CENTRAL)
    page = b.get("/review/batches")
    assert page.status_code == 200
    assert 'href="/review/batches"' in page.text  # the layout's link for central reviewers
    for f in desk.approved:
        assert f'value="{f.id}"' in page.text and f.number and f.number in page.text
    assert f'value="{desk.in_central_review.id}"' not in page.text  # only approved filings are offered
    first, second, third = desk.approved

    resp = b.post("/review/batches", {"title": "第一批 2026", "filing_ids": [first.id, second.id]})
    assert resp.status_code == 303, resp.text
    batch_id = re.search(r"composed=(bat_\w+)", resp.headers["location"]).group(1)  # type: ignore[union-attr]
    page = b.get(resp.headers["location"])
    assert "The batch was composed" in page.text and f'id="{batch_id}"' in page.text
    assert f'value="{first.id}"' not in page.text and f'value="{third.id}"' in page.text  # batched ones leave the list
    assert _state(desk.db, first.id) == "approved"  # composing publishes nothing
    assert b.get("/registry?q=YunQue").text.count(first.number or "?") == 0

    resp = b.post(f"/review/batches/{batch_id}/publish")
    assert resp.status_code == 303 and resp.headers["location"].startswith(f"/review/batches?published={batch_id}")
    page = b.get(resp.headers["location"])
    assert "The batch is published" in page.text and f'href="/registry/batches/{batch_id}"' in page.text
    assert _state(desk.db, first.id) == "published" and _state(desk.db, third.id) == "approved"

    public = Browser(desk.app)  # no login
    registry = public.get("/registry").text
    assert first.number in registry and second.number in registry  # type: ignore[operator]
    assert third.number not in registry  # type: ignore[operator]
    announced = public.get(f"/registry/batches/{batch_id}")
    assert announced.status_code == 200 and "第一批 2026" in announced.text and first.number in announced.text


def test_publishing_twice_is_refused_and_changes_nothing(desk: Desk) -> None:
    b = desk.browser(CENTRAL)
    resp = b.post("/review/batches", {"title": "一批", "filing_ids": [desk.approved[0].id]})
    batch_id = resp.headers["location"].split("composed=")[1].split("#")[0]
    assert b.post(f"/review/batches/{batch_id}/publish").status_code == 303
    events = _count(desk.db, audit_events)
    again = b.post(f"/review/batches/{batch_id}/publish")
    assert again.status_code == 409 and "already published" in again.text
    assert _count(desk.db, audit_events) == events
    assert b.post("/review/batches/bat_nonexistent/publish").status_code == 404


def test_composing_a_filing_that_is_not_approved_is_refused(desk: Desk) -> None:
    b = desk.browser(CENTRAL)
    events = _count(desk.db, audit_events)
    resp = b.post("/review/batches", {"title": "混入", "filing_ids": [desk.approved[0].id,
                                                                     desk.in_central_review.id]})
    assert resp.status_code == 422
    assert "not approved" in resp.text and 'value="混入"' in resp.text
    assert f'value="{desk.approved[0].id}" id="pick-{desk.approved[0].id}" checked' in resp.text  # the choice is kept
    assert _count(desk.db, batches) == 0 and _count(desk.db, audit_events) == events


def test_a_filing_goes_into_one_batch_only_and_a_batch_needs_a_title_and_filings(desk: Desk) -> None:
    b = desk.browser(CENTRAL)
    fid = desk.approved[0].id
    assert b.post("/review/batches", {"title": "一", "filing_ids": [fid]}).status_code == 303
    again = b.post("/review/batches", {"title": "二", "filing_ids": [fid]})
    assert again.status_code == 422 and "already in a batch" in again.text
    empty = b.post("/review/batches", {"title": "", "filing_ids": []})
    assert empty.status_code == 422
    assert 'data-field="title"' in empty.text and 'data-field="filing_ids"' in empty.text
    assert _count(desk.db, batches) == 1


def test_forms_without_the_sessions_csrf_token_are_refused(desk: Desk) -> None:
    b = desk.browser(CENTRAL)
    resp = b.client.post("/review/batches", data={"title": "x", "filing_ids": [desk.approved[0].id]})
    assert resp.status_code == 403 and "This form has expired" in resp.text
    resp = b.client.post("/review/batches", data={"csrf_token": "forged", "title": "x",
                                                  "filing_ids": [desk.approved[0].id]})
    assert resp.status_code == 403
    assert _count(desk.db, batches) == 0


@pytest.mark.parametrize("email", [PROVINCIAL, ASSESSOR])
def test_provincial_reviewers_and_assessors_cannot_see_compose_or_publish(desk: Desk, email: str) -> None:
    central = desk.browser(CENTRAL)
    resp = central.post("/review/batches", {"title": "t", "filing_ids": [desk.approved[0].id]})
    batch_id = resp.headers["location"].split("composed=")[1].split("#")[0]

    b = desk.browser(email)
    events = _count(desk.db, audit_events)  # after the login, which is audited
    assert 'href="/review/batches"' not in b.get("/filings").text
    assert b.get("/review/batches").status_code == 403
    assert b.post("/review/batches", {"title": "t", "filing_ids": [desk.approved[1].id]}).status_code == 403
    assert b.post(f"/review/batches/{batch_id}/publish").status_code == 403
    assert _count(desk.db, batches) == 1 and _count(desk.db, audit_events) == events
    assert _state(desk.db, desk.approved[0].id) == "approved"


def test_the_page_needs_a_login(desk: Desk) -> None:
    resp = Browser(desk.app).get("/review/batches")
    assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=/review/batches")


def test_the_page_in_chinese(desk: Desk) -> None:
    b = desk.browser(CENTRAL, lang="zh")
    page = b.get("/review/batches").text
    assert "公示批次" in page and "组成批次" in page and "北京" in page
