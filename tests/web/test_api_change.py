"""POST /api/v1/filings/{id}/change: a change filing after a major update, through the JSON API
(services.filings.open_change_filing). Every refusal leaves filings, materials, accounts and
the audit log unchanged."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from httpx import Response
from sqlalchemy import Engine

from clearance.domain.banks import BankSet
from clearance.domain.filings.records import Filing
from clearance.services import review
from tests.filings.flows import to_central_review
from tests.web.cast import Cast, build, cheap_passwords, random_filing_id, state_of

API = "/api/v1/filings"


@pytest.fixture
def cast(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cast:
    cheap_passwords(monkeypatch)
    return build(db, tmp_path)


def approved(c: Cast, banks: BankSet) -> Filing:
    w = c.service_world("a")
    f = to_central_review(w, banks)
    return review.advance(c.db, actor=w.central, filing_id=f.id, event="approve")


def refused(c: Cast, send: Any, status: int) -> dict[str, Any]:
    before = state_of(c)
    r: Response = send()
    assert r.status_code == status, r.text
    assert state_of(c) == before
    body: dict[str, Any] = r.json()
    assert set(body) >= {"error", "message"} and body["message"]
    return body


def test_a_provider_opens_a_change_filing_of_an_approved_one(cast: Cast, fixture_banks: BankSet) -> None:
    f = approved(cast, fixture_banks)
    provider = cast.api("provider_a")
    r = provider.post(f"{API}/{f.id}/change")
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] != f.id and body["state"] == "draft" and body["previous_filing_id"] == f.id
    assert body["kind"] == "filing" and body["organisation_id"] == cast.org_a and body["province"] == f.province
    # the form is the starting point; the materials are not carried over (the update needs new ones)
    assert body["form"] == f.form.model_dump(mode="json", exclude_none=True)
    assert body["materials"] == [] and body["missing"] and body["number"] is None
    # a draft like any other: the provider sees it, lists it, edits it; the approved one is untouched
    assert provider.get(f"{API}/{body['id']}").json()["previous_filing_id"] == f.id
    assert body["id"] in {x["id"] for x in provider.get(API, params={"state": "draft"}).json()["filings"]}
    assert provider.patch(f"{API}/{body['id']}", json={"concurrency": 4000}).status_code == 200
    old = provider.get(f"{API}/{f.id}").json()
    assert old["state"] == "approved" and old["number"] == f.number
    events = provider.get(f"{API}/{body['id']}/timeline").json()["events"]
    assert events[0]["action"] == "filing.created" and events[0]["after"]["previous_filing_id"] == f.id
    # a reviewer sees nothing of it while it is a draft
    assert cast.api("reviewer_a").get(f"{API}/{body['id']}").status_code == 404


def test_only_the_filing_organisations_provider_opens_one(cast: Cast, fixture_banks: BankSet) -> None:
    f = approved(cast, fixture_banks)
    url = f"{API}/{f.id}/change"
    # other roles see the filing but may not open a change filing: 403
    for role in ("reviewer_a", "assessor", "central"):
        client = cast.api(role)  # the account and its token exist before the state is compared
        body = refused(cast, lambda client=client: client.post(url), 403)
        assert body["error"] == "forbidden", role
    # those who cannot see it get exactly what a made-up id gets
    missing_id = random_filing_id()
    for role in ("provider_b", "reviewer_b", "admin"):
        client = cast.api(role)
        hidden = refused(cast, lambda client=client: client.post(url), 404)
        missing = refused(cast, lambda client=client: client.post(f"{API}/{missing_id}/change"),
                          404)
        assert hidden["error"] == missing["error"] == "not_found"
        assert hidden["message"].replace(f.id, "X") == missing["message"].replace(missing_id, "X")
    # the write scope is needed; a token is needed
    read_only = cast.api("provider_a", ["filings:read"])
    body = refused(cast, lambda: read_only.post(url), 403)
    assert "filings:write" in body["message"]
    assert refused(cast, lambda: cast.api(None).post(url), 401)["error"] == "unauthorized"


@pytest.mark.parametrize("state", ["draft", "provincial_review"])
def test_a_change_filing_follows_an_approved_filing_only(cast: Cast, state: str) -> None:
    f = cast.draft("a") if state == "draft" else cast.in_review("a")
    provider = cast.api("provider_a")
    body = refused(cast, lambda: provider.post(f"{API}/{f.id}/change"), 422)
    assert body["error"] == "invalid_input"
    assert "approved or published" in body["fields"]["previous_filing_id"]
    assert f"'{state}'" in body["message"]


def test_the_openapi_document_describes_the_route(cast: Cast) -> None:
    doc = cast.api(None).get("/openapi.json").json()
    op = doc["paths"][API + "/{filing_id}/change"]["post"]
    assert op["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith("/FilingPublic")
    assert {"401", "403", "404", "422"} <= set(op["responses"])
    assert "previous_filing_id" in op["description"]
    assert op["security"] == [{"HTTPBearer": []}]
