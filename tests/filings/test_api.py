"""The filing JSON API (/api/v1/filings) over HTTP: token authentication and scopes, access by
guessed ids, illegal events, bad uploads, and the whole path from draft to forwarding. Every
refusal is checked to leave filings, materials and the audit log unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from clearance.domain.filings import uploads
from clearance.domain.filings.forms import MaterialType
from clearance.domain.filings.records import Filing
from clearance.services import accounts, review
from tests.filings.conftest import ADMIN, FILING_FORM, MATERIAL_FILES, PDF, SHANGHAI, World
from tests.filings.flows import draft, snapshot, to_provincial_review

API = "/api/v1/filings"
PASSWORD = "correct horse battery"
READ_WRITE = ["filings:read", "filings:write"]


@pytest.fixture
def client(world: World) -> Iterator[TestClient]:
    from clearance.interfaces.web.app import create_app
    from clearance.interfaces.web.filings import api

    app = create_app(world.db, cache_check_interval=0.0)
    # materials go to the test's temporary store, never to the user's CLEARANCE_HOME
    app.dependency_overrides[api.material_store] = lambda: world.store
    with TestClient(app) as c:
        yield c


def token(w: World, email: str, role: str, scopes: list[str] | None = None, **kw: str) -> str:
    """A real account with an API token; its Authorization header value."""
    if role == "provider":
        kw.setdefault("organisation", w.org)
    user = accounts.create_user(w.db, actor=ADMIN, email=email, role=role, password=PASSWORD, **kw)
    text, _ = accounts.create_token(w.db, actor=accounts.actor_for(user), name="ci", scopes=scopes or READ_WRITE)
    return text


def auth(tok: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tok}"}


def stored_files(w: World) -> list[Path]:
    return [p for p in w.store.root.rglob("*") if p.is_file()] if w.store.root.exists() else []


def refused(w: World, send: Any, status: int) -> dict[str, Any]:
    """Send a request that must fail with ``status`` and change nothing; its JSON error."""
    before = snapshot(w.db), stored_files(w)
    r: Response = send()
    assert r.status_code == status, r.text
    assert (snapshot(w.db), stored_files(w)) == before
    body: dict[str, Any] = r.json()
    assert set(body) >= {"error", "message"} and body["message"]
    return body


def upload(c: TestClient, tok: str, filing_id: str, mtype: str, name: str, content: bytes) -> Response:
    return c.post(f"{API}/{filing_id}/materials/{mtype}", headers=auth(tok), files={"file": (name, content)})


# -- authentication and scopes -------------------------------------------------------------------

def test_no_token_or_an_unknown_one_is_401(world: World, client: TestClient) -> None:
    body = refused(world, lambda: client.get(API), 401)
    assert body["error"] == "unauthorized" and "Bearer" in body["message"]
    assert client.get(API).headers["www-authenticate"] == "Bearer"
    assert refused(world, lambda: client.post(API, json={"kind": "filing"}), 401)["error"] == "unauthorized"
    assert refused(world, lambda: client.get(API, headers=auth("clr_guessed")), 401)["error"] == "unauthorized"
    # a session-style scheme is not accepted: tokens only
    assert refused(world, lambda: client.get(API, headers={"Authorization": "Basic eDp5"}), 401)


def test_a_revoked_token_is_401(world: World, client: TestClient) -> None:
    user = accounts.create_user(world.db, actor=ADMIN, email="ci@example.cn", role="provider", password=PASSWORD,
                                organisation=world.org)
    actor = accounts.actor_for(user)
    tok, rec = accounts.create_token(world.db, actor=actor, name="ci", scopes=READ_WRITE)
    assert client.get(API, headers=auth(tok)).status_code == 200
    accounts.revoke_token(world.db, actor=actor, token_id=rec.id)
    body = refused(world, lambda: client.get(API, headers=auth(tok)), 401)
    assert "revoked" in body["message"]


def test_a_token_without_the_scope_is_403(world: World, client: TestClient) -> None:
    read_only = token(world, "ro@example.cn", "provider", ["filings:read"])
    assert client.get(API, headers=auth(read_only)).status_code == 200
    body = refused(world, lambda: client.post(API, headers=auth(read_only), json={"kind": "filing"}), 403)
    assert body["error"] == "forbidden" and "filings:write" in body["message"]
    f = draft(world)
    refused(world, lambda: client.patch(f"{API}/{f.id}", headers=auth(read_only), json={"concurrency": 1}), 403)
    refused(world, lambda: client.post(f"{API}/{f.id}/events", headers=auth(read_only),
                                       json={"event": "submit"}), 403)
    refused(world, lambda: upload(client, read_only, f.id, "filing_form", "a.pdf", PDF), 403)
    write_only = token(world, "wo@example.cn", "provider", ["filings:write"])
    refused(world, lambda: client.get(f"{API}/{f.id}", headers=auth(write_only)), 403)


# -- reading ---------------------------------------------------------------------------------------

def test_list_shows_what_the_actor_may_see(world: World, client: TestClient) -> None:
    w = world
    mine = draft(w)
    submitted = to_provincial_review(w)
    provider = token(w, "p@example.cn", "provider")
    other_provider = token(w, "q@example.cn", "provider", organisation=w.other_org)
    reviewer = token(w, "r@example.cn", "provincial_reviewer", province="110000")
    other_reviewer = token(w, "s@example.cn", "provincial_reviewer", province=SHANGHAI)

    def ids(tok: str, **params: str) -> set[str]:
        r = client.get(API, headers=auth(tok), params=params)
        assert r.status_code == 200, r.text
        return {f["id"] for f in r.json()["filings"]}

    assert ids(provider) == {mine.id, submitted.id}
    assert ids(provider, state="draft") == {mine.id}
    assert ids(other_provider) == set()
    assert ids(reviewer) == {submitted.id}  # drafts are the provider's own
    assert ids(other_reviewer) == set()
    assert refused(w, lambda: client.get(API, headers=auth(provider), params={"state": "nonsense"}),
                   422)["fields"].keys() == {"state"}


def test_get_a_filing(world: World, client: TestClient) -> None:
    f = draft(world)
    r = client.get(f"{API}/{f.id}", headers=auth(token(world, "p@example.cn", "provider")))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == f.id and body["state"] == "draft" and body["missing"] == []
    assert body["form"]["model_name"] == FILING_FORM["model_name"]
    assert {m["material_type"] for m in body["materials"]} == set(MATERIAL_FILES)
    assert all("storage_key" not in m for m in body["materials"])


def test_a_provider_guessing_another_organisations_id_gets_404(world: World, client: TestClient) -> None:
    f = draft(world)
    other = token(world, "q@example.cn", "provider", organisation=world.other_org)
    missing = refused(world, lambda: client.get(f"{API}/fil_0000000000000000", headers=auth(other)), 404)
    guessed = refused(world, lambda: client.get(f"{API}/{f.id}", headers=auth(other)), 404)
    # told apart by nothing but the id echoed in the message
    assert guessed["error"] == missing["error"] == "not_found"
    assert guessed["message"].replace(f.id, "X") == missing["message"].replace("fil_0000000000000000", "X")
    for attempt in (lambda: client.get(f"{API}/{f.id}/timeline", headers=auth(other)),
                    lambda: client.patch(f"{API}/{f.id}", headers=auth(other), json={"concurrency": 1}),
                    lambda: client.post(f"{API}/{f.id}/events", headers=auth(other), json={"event": "submit"}),
                    lambda: upload(client, other, f.id, "filing_form", "a.pdf", PDF)):
        assert refused(world, attempt, 404)["error"] == "not_found"


def test_a_reviewer_of_another_province_gets_404(world: World, client: TestClient) -> None:
    f = to_provincial_review(world)
    other = token(world, "s@example.cn", "provincial_reviewer", province=SHANGHAI)
    for attempt in (lambda: client.get(f"{API}/{f.id}", headers=auth(other)),
                    lambda: client.post(f"{API}/{f.id}/events", headers=auth(other), json={"event": "forward"}),
                    lambda: client.get(f"{API}/{f.id}/timeline", headers=auth(other))):
        assert refused(world, attempt, 404)["error"] == "not_found"


# -- writing ---------------------------------------------------------------------------------------

def test_create_a_draft(world: World, client: TestClient) -> None:
    tok = token(world, "p@example.cn", "provider")
    r = client.post(API, headers=auth(tok), json={"kind": "filing", "form": {"model_name": "云雀"}})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["state"] == "draft" and body["organisation_id"] == world.org and body["form"] == {"model_name": "云雀"}
    assert body["missing"]  # a partial draft: the list of what a submission still lacks
    bad = refused(world, lambda: client.post(API, headers=auth(tok), json={"kind": "filing",
                                                                          "form": {"concurrency": -1}}), 422)
    assert bad["error"] == "invalid_input" and "form.concurrency" in bad["fields"]
    assert "kind" in refused(world, lambda: client.post(API, headers=auth(tok), json={"kind": "app"}), 422)["fields"]
    reviewer = token(world, "r@example.cn", "provincial_reviewer", province="110000")
    assert refused(world, lambda: client.post(API, headers=auth(reviewer), json={"kind": "filing"}),
                   403)["error"] == "forbidden"


def test_update_a_draft_partially(world: World, client: TestClient) -> None:
    tok = token(world, "p@example.cn", "provider")
    created = client.post(API, headers=auth(tok), json={"kind": "filing",
                                                        "form": {"model_name": "云雀", "concurrency": 10}}).json()
    url = f"{API}/{created['id']}"
    r = client.patch(url, headers=auth(tok), json={"contact_name": "张三"})
    assert r.status_code == 200, r.text
    assert r.json()["form"] == {"model_name": "云雀", "concurrency": 10, "contact_name": "张三"}
    r = client.patch(url, headers=auth(tok), json={"concurrency": None})  # null clears a field
    assert r.json()["form"] == {"model_name": "云雀", "contact_name": "张三"}
    assert "corpus" in refused(world, lambda: client.patch(url, headers=auth(tok), json={"corpus": 1}),
                               422)["fields"]
    assert "accuracy_check_ratio" in refused(
        world, lambda: client.patch(url, headers=auth(tok), json={"accuracy_check_ratio": 2}), 422)["fields"]
    submitted = to_provincial_review(world)
    body = refused(world, lambda: client.patch(f"{API}/{submitted.id}", headers=auth(tok),
                                               json={"concurrency": 1}), 403)
    assert body["error"] == "forbidden" and "cannot be edited" in body["message"]


def test_upload_a_material(world: World, client: TestClient) -> None:
    tok = token(world, "p@example.cn", "provider")
    f = client.post(API, headers=auth(tok), json={"kind": "filing"}).json()
    r = upload(client, tok, f["id"], "self_assessment_report", "自评估报告.pdf", PDF + b"report")
    assert r.status_code == 201, r.text
    [m] = r.json()["materials"]
    assert m["material_type"] == "self_assessment_report" and m["content_type"] == uploads.PDF
    assert m["filename"] == "自评估报告.pdf" and m["size"] == len(PDF) + 6 and len(m["sha256"]) == 64
    assert len(stored_files(world)) == 1


def test_uploads_of_the_wrong_type_store_nothing(world: World, client: TestClient) -> None:
    tok = token(world, "p@example.cn", "provider")
    f = client.post(API, headers=auth(tok), json={"kind": "filing"}).json()
    html = b"<!DOCTYPE html><script>alert(1)</script>"
    body = refused(world, lambda: upload(client, tok, f["id"], "filing_form", "form.pdf", html), 422)
    assert body["error"] == "invalid_input" and "text/html" in body["fields"]["filing_form"]
    body = refused(world, lambda: upload(client, tok, f["id"], "self_assessment_report", "r.docx", b"PK\x03\x04"), 422)
    assert ".pdf" in body["fields"]["self_assessment_report"]
    assert "material_type" in refused(world, lambda: upload(client, tok, f["id"], "photo", "a.pdf", PDF),
                                      422)["fields"]
    no_file = refused(world, lambda: client.post(f"{API}/{f['id']}/materials/filing_form", headers=auth(tok),
                                                 data={"x": "1"}), 422)
    assert no_file["fields"] == {"file": "required"}


def test_oversize_uploads_are_413_and_store_nothing(world: World, client: TestClient,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    # a 1 KB limit stands in for the real 20 MB: the API and the service read the same rule
    monkeypatch.setitem(uploads.RULES, MaterialType.KEYWORD_LIST, uploads.Rule((".txt",), 1024))
    tok = token(world, "p@example.cn", "provider")
    f = client.post(API, headers=auth(tok), json={"kind": "filing"}).json()
    # over the limit, but within the multipart envelope allowance: caught on the spooled size
    body = refused(world, lambda: upload(client, tok, f["id"], "keyword_list", "k.txt", b"a\n" * 1000), 413)
    assert body["error"] == "too_large" and "keyword_list" in body["fields"]
    # far over: refused on the declared length, before the body is read
    big = b"a\n" * 100_000
    assert refused(world, lambda: upload(client, tok, f["id"], "keyword_list", "k.txt", big), 413)["error"] == \
        "too_large"

    # a client that declares no length is stopped while the bytes are counted
    def chunked() -> Response:
        boundary = "xyz"
        head = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"k.txt\"\r\n"
                "Content-Type: text/plain\r\n\r\n").encode()

        def stream() -> Iterator[bytes]:
            yield head
            for _ in range(100):
                yield b"a\n" * 1000
            yield f"\r\n--{boundary}--\r\n".encode()

        return client.post(f"{API}/{f['id']}/materials/keyword_list", content=stream(),
                           headers={**auth(tok), "Content-Type": f"multipart/form-data; boundary={boundary}"})

    assert refused(world, chunked, 413)["error"] == "too_large"
    assert upload(client, tok, f["id"], "keyword_list", "k.txt", b"a\n" * 100).status_code == 201


# -- workflow events and the timeline --------------------------------------------------------------

def test_illegal_events_are_409_with_the_workflow_code(world: World, client: TestClient) -> None:
    w = world
    provider = token(w, "p@example.cn", "provider")
    reviewer = token(w, "r@example.cn", "provincial_reviewer", province="110000")
    f: Filing = to_provincial_review(w)

    def fire(tok: str, **body: str) -> Any:
        return lambda: client.post(f"{API}/{f.id}/events", headers=auth(tok), json=body)

    body = refused(w, fire(provider, event="submit"), 409)
    assert body["error"] == "illegal_transition" and body["code"] == "no_such_edge"
    assert "'submit' is not possible from 'provincial_review'" in body["message"]
    assert refused(w, fire(provider, event="forward"), 409)["code"] == "role"
    # a rejection needs a reason: the workflow says 409 with the code "reason"
    assert refused(w, fire(reviewer, event="reject"), 409)["code"] == "reason"
    assert refused(w, fire(reviewer, event="reject", reason="   "), 409)["code"] == "reason"
    assert "event" in refused(w, fire(reviewer, event="teleport"), 422)["fields"]
    assert "event" in refused(w, lambda: client.post(f"{API}/{f.id}/events", headers=auth(reviewer), json={}),
                              422)["fields"]
    incomplete = client.post(API, headers=auth(provider), json={"kind": "filing"}).json()
    body = refused(w, lambda: client.post(f"{API}/{incomplete['id']}/events", headers=auth(provider),
                                          json={"event": "submit"}), 409)
    assert body["code"] == "complete" and "missing" in body["message"]


def test_a_supplement_request_carries_its_reason(world: World, client: TestClient) -> None:
    f = to_provincial_review(world)
    reviewer = token(world, "r@example.cn", "provincial_reviewer", province="110000")
    r = client.post(f"{API}/{f.id}/events", headers=auth(reviewer),
                    json={"event": "request_supplement", "reason": "请补充语料来源说明"})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "supplement_requested"
    events = client.get(f"{API}/{f.id}/timeline", headers=auth(reviewer)).json()["events"]
    assert events[-1]["action"] == "filing.request_supplement" and events[-1]["reason"] == "请补充语料来源说明"


def test_timeline(world: World, client: TestClient) -> None:
    f = draft(world)
    review.advance(world.db, actor=world.provider, filing_id=f.id, event="submit")
    r = client.get(f"{API}/{f.id}/timeline", headers=auth(token(world, "p@example.cn", "provider")))
    assert r.status_code == 200
    events = r.json()["events"]
    assert [e["action"] for e in events] == ["filing.created"] + ["material.uploaded"] * 6 + ["filing.submit"]
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[-1]["before"] == {"state": "draft"} and events[-1]["after"] == {"state": "submitted"}
    assert all(e["at"].endswith(("+00:00", "Z")) for e in events)


def test_the_whole_path_from_draft_to_forwarding(world: World, client: TestClient) -> None:
    w = world
    provider = token(w, "p@example.cn", "provider")
    reviewer = token(w, "r@example.cn", "provincial_reviewer", province="110000")
    r = client.post(API, headers=auth(provider), json={"kind": "filing", "form": {"model_name": "云雀 Chat"}})
    assert r.status_code == 201, r.text
    fid = r.json()["id"]
    rest = {k: v for k, v in FILING_FORM.items() if k != "model_name"}
    assert client.patch(f"{API}/{fid}", headers=auth(provider), json=rest).status_code == 200
    for mtype, (name, content) in MATERIAL_FILES.items():
        assert upload(client, provider, fid, mtype, name, content).status_code == 201
    assert client.get(f"{API}/{fid}", headers=auth(provider)).json()["missing"] == []

    def fire(tok: str, event: str) -> str:
        r = client.post(f"{API}/{fid}/events", headers=auth(tok), json={"event": event})
        assert r.status_code == 200, r.text
        state: str = r.json()["state"]
        return state

    assert fire(provider, "submit") == "submitted"
    assert fid in {f["id"] for f in client.get(API, headers=auth(reviewer)).json()["filings"]}
    assert fire(reviewer, "start_provincial_review") == "provincial_review"
    assert fire(reviewer, "forward") == "technical_assessment"
    actions = [e["action"] for e in client.get(f"{API}/{fid}/timeline", headers=auth(provider)).json()["events"]]
    assert actions[-3:] == ["filing.submit", "filing.start_provincial_review", "filing.forward"]
    assert "filing.updated" in actions and actions.count("material.uploaded") == 6


def test_the_openapi_document_lists_the_routes(client: TestClient) -> None:
    doc = client.get("/openapi.json").json()
    paths = doc["paths"]
    assert set(paths[API]) == {"get", "post"}
    assert set(paths[API + "/{filing_id}"]) == {"get", "patch"}
    assert "post" in paths[API + "/{filing_id}/materials/{material_type}"]
    assert "post" in paths[API + "/{filing_id}/events"] and "get" in paths[API + "/{filing_id}/timeline"]
    upload_op = paths[API + "/{filing_id}/materials/{material_type}"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"] and "413" in upload_op["responses"]
    assert "409" in paths[API + "/{filing_id}/events"]["post"]["responses"]
    assert doc["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    assert {"FilingPublic", "FilingCreate", "FilingUpdate", "EventRequest", "FilingErrorV1", "ErrorV1"} <= \
        set(doc["components"]["schemas"])
