"""Bad input on every form and API route: it is refused with a message that names the field,
and it changes nothing (filings, materials, accounts, tokens, organisations, the audit log and
the stored files are compared before and after; cast.state_of).

Cases are tables: (who sends it, where, what, the status, what the answer must say); each table
runs as one test on one scene, case after case, since none may change anything. A page
names the field with ``data-field="<field>"`` next to the input (or, for the one message of the
materials section and of the actions, in words); the API with ``fields[<field>]``, or for a
workflow refusal with its ``code``."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clearance.domain.filings import uploads
from clearance.domain.filings.forms import MaterialType
from clearance.domain.filings.records import Filing
from clearance.services import accounts
from tests.filings.conftest import ORG_BEIJING, PDF
from tests.web.cast import PASSWORD, PEOPLE, Cast, build, cheap_passwords, sessions, state_of
from tests.web.workspace_client import Browser, csrf_of

HTML = b"<!DOCTYPE html><script>alert(1)</script>"
STALE = "Reload the page and submit it again; nothing was changed."


class Scene:
    """What the cases need, made when first asked for (before the state is compared)."""

    def __init__(self, cast: Cast) -> None:
        self.cast = cast

    @cached_property
    def draft(self) -> Filing:
        return self.cast.draft("a")

    @cached_property
    def review(self) -> Filing:
        return self.cast.in_review("a")

    @cached_property
    def token(self) -> str:
        return accounts.create_token(self.cast.db, actor=self.cast.actor("provider_a"), name="to revoke",
                                     scopes=["filings:read"])[1].id

    def browser(self, who: str) -> Browser:
        return self.cast.browser(who)

    def api(self, who: str) -> Any:
        return self.cast.api({"provider": "provider_a", "reviewer": "reviewer_a"}[who])

    def url(self, template: str) -> str:
        names = re.findall(r"\{(\w+)\}", template)
        values = {n: {"draft": lambda: self.draft.id, "review": lambda: self.review.id, "token": lambda: self.token,
                      "user": lambda: self.cast.actor("reviewer_a").id,
                      "me": lambda: self.cast.actor("admin").id}[n]() for n in names}
        return template.format(**values)


@pytest.fixture
def scene(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Scene:
    cheap_passwords(monkeypatch)
    return Scene(build(db, tmp_path))


def unchanged(scene: Scene, send: Callable[[], Any], status: int) -> Any:
    before = state_of(scene.cast)
    resp = send()
    assert resp.status_code == status, resp.text[:2000]
    assert state_of(scene.cast) == before, "a refused request changed something"
    return resp


def run_cases(cases: list[Any], check: Callable[..., None], ids: Callable[[Any], str]) -> None:
    """Every case, one after the other on the same scene (each must change nothing, so none can
    affect the next); all failures reported together."""
    problems = []
    for case in cases:
        try:
            check(*case)
        except AssertionError as exc:
            problems.append(f"{ids(case)}: {str(exc)[:600]}")
    assert not problems, "\n\n".join(problems)


# --- forms ----------------------------------------------------------------------------------------

FORMS: list[tuple[str, str, dict[str, Any], int, str]] = [
    # the filing form: wrong types, out of range, malformed
    ("provider_a", "/filings/{draft}/form", {"concurrency": "many"}, 422, 'data-field="concurrency"'),
    ("provider_a", "/filings/{draft}/form", {"corpus_tokens": "1.5e12x"}, 422, 'data-field="corpus_tokens"'),
    ("provider_a", "/filings/{draft}/form", {"accuracy_check_ratio": "2"}, 422, 'data-field="accuracy_check_ratio"'),
    ("provider_a", "/filings/{draft}/form", {"corpus_size_gb": "-1"}, 422, 'data-field="corpus_size_gb"'),
    ("provider_a", "/filings/{draft}/form", {"endpoint.base_url": "ftp://x", "endpoint.model": "m"}, 422,
     'data-field="endpoint.base_url"'),
    ("provider_a", "/filings/{draft}/form", {"model_name": "x" * 101}, 422, 'data-field="model_name"'),
    ("provider_a", "/filings/{draft}/form", {"functions": "teleport"}, 422, 'data-field="functions'),
    ("provider_a", "/filings", {"kind": "app"}, 422, "kind: filing (备案) or registration (登记)"),
    # workflow events: a rejection and a supplement request need their reason
    ("reviewer_a", "/filings/{review}/events", {"event": "reject"}, 409, "Give a reason: it is shown to the provider."),
    ("reviewer_a", "/filings/{review}/events", {"event": "request_supplement", "reason": "   "}, 409,
     "Give a reason: it is shown to the provider."),
    ("reviewer_a", "/filings/{review}/events", {"event": "teleport"}, 422, 'id="event-error"'),
    ("reviewer_a", "/filings/{review}/events", {}, 422, 'id="event-error"'),
    # API tokens on the account page
    ("provider_a", "/account/tokens", {"name": "", "scopes": "filings:read"}, 422, "a name of 1 to 100 characters"),
    ("provider_a", "/account/tokens", {"name": "ci"}, 422, "choose from filings:read, filings:write"),
    ("provider_a", "/account/tokens", {"name": "ci", "scopes": "admin:all"}, 422, "choose from filings:read"),
    ("provider_a", "/account/tokens", {"name": "ci", "scopes": "filings:read", "days": "forever"}, 422,
     "Enter a number of days between 1 and 366"),
    ("provider_a", "/account/tokens", {"name": "ci", "scopes": "filings:read", "days": "400"}, 422,
     "Enter a number of days between 1 and 366"),
    # new accounts
    ("admin", "/admin/users", {"email": "not-an-address", "role": "assessor", "password": PASSWORD}, 422,
     'data-field="email"'),
    ("admin", "/admin/users", {"email": "", "role": "assessor", "password": PASSWORD}, 422, 'data-field="email"'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "", "password": PASSWORD}, 422, 'data-field="role"'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "superuser", "password": PASSWORD}, 422,
     'data-field="role"'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "provincial_reviewer", "password": PASSWORD}, 422,
     'data-field="province">A provincial reviewer needs a province'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "assessor", "province": "110000", "password": PASSWORD},
     422, 'data-field="province">A provincial reviewer needs a province'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "provincial_reviewer", "province": "999999",
                               "password": PASSWORD}, 422, 'data-field="province">&#39;999999&#39; is not'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "provider", "password": PASSWORD}, 422,
     'data-field="organisation">A provider needs an organisation'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "provider", "organisation": "org_missing",
                               "password": PASSWORD}, 422, 'data-field="organisation">no organisation'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "assessor", "password": "short"}, 422,
     'data-field="password">a password needs at least 12 characters'),
    ("admin", "/admin/users", {"email": "a@b.cn", "role": "assessor"}, 422, 'data-field="password"'),
    ("admin", "/admin/users", {"email": PEOPLE["provider_a"][0], "role": "assessor", "password": PASSWORD}, 422,
     'data-field="email">p@bj.example.cn already has an account'),
    # new organisations: the credit code's check character above all
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91110000802100433C"}, 422,
     'data-field="credit_code">check character is C but should be B'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "9111000080210043"}, 422,
     'data-field="credit_code">a unified social credit code has 18 characters'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91110000802I00433B"}, 422,
     'data-field="credit_code">characters not allowed in a credit code: I'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": ""}, 422, 'data-field="credit_code"'),
    ("admin", "/admin/organisations", ORG_BEIJING, 422,
     'data-field="credit_code">91110000802100433B is already registered'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91330105MA2CFRHM12", "province": "999999"},
     422, 'data-field="province">&#39;999999&#39; is not a GB/T 2260 provincial code'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91330105MA2CFRHM12", "province": ""},
     422, 'data-field="province"'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91330105MA2CFRHM12",
                                       "contact_email": "compliance at example.cn"}, 422,
     'data-field="contact_email">&#39;compliance at example.cn&#39; is not an email address'),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91330105MA2CFRHM12", "name_zh": ""}, 422,
     'data-field="name_zh"'),
    ("admin", "/admin/organisations", {"credit_code": "91330105MA2CFRHM12"}, 422, 'data-field="contact_phone"'),
    # access changes
    ("admin", "/admin/users/{user}/access", {"province": "310000"}, 422, 'data-field="role">choose a role'),
    ("admin", "/admin/users/{user}/access", {"role": "superuser"}, 422, 'data-field="role"'),
    ("admin", "/admin/users/{user}/access", {"role": "provincial_reviewer", "province": ""}, 422,
     'data-field="province">A provincial reviewer needs a province'),
    ("admin", "/admin/users/{user}/access", {"role": "provincial_reviewer", "province": "999999"}, 422,
     'data-field="province"'),
    ("admin", "/admin/users/{user}/access", {"role": "provider", "organisation": "org_missing"}, 422,
     'data-field="organisation"'),
    ("admin", "/admin/users/{user}/active", {"active": "maybe"}, 422, 'data-field="active">yes (enable'),
    ("admin", "/admin/users/{me}/active", {"active": "no"}, 422, 'id="user-error">administrators cannot disable'),
    ("admin", "/admin/users/usr_0000000000000000/access", {"role": "assessor"}, 404, "There is nothing here that you may see"),
]


def test_bad_form_input_is_named_and_changes_nothing(scene: Scene) -> None:
    scene.cast.actor("provider_a")  # the address a new account may not reuse

    def check(who: str, url: str, data: dict[str, Any], status: int, says: str) -> None:
        b, target = scene.browser(who), scene.url(url)
        resp = unchanged(scene, lambda: b.post(target, data), status)
        assert says in resp.text, says
        if status == 422 and "data-field" in says and 'data-field="active"' not in says:
            # and the form says that nothing was saved, above the fields
            assert 'id="form-error"' in resp.text or "Nothing was saved" in resp.text

    run_cases(FORMS, check, lambda c: f"{c[1]} {c[2]}")


def test_a_refused_form_keeps_what_was_typed_but_never_the_password(scene: Scene) -> None:
    admin = scene.browser("admin")
    resp = unchanged(scene, lambda: admin.post("/admin/users", {
        "email": "new@gd.gov.cn", "role": "provincial_reviewer", "province": "440000", "password": "short pass"}), 422)
    assert 'value="new@gd.gov.cn"' in resp.text and 'value="440000" selected' in resp.text
    assert "short pass" not in resp.text
    # every problem at once, not one per attempt
    resp = unchanged(scene, lambda: admin.post("/admin/users", {
        "email": "nobody", "role": "assessor", "password": "short"}), 422)
    assert 'data-field="email"' in resp.text and 'data-field="password"' in resp.text


# --- uploads --------------------------------------------------------------------------------------

UPLOADS: list[tuple[str, str, bytes, int, str]] = [
    ("filing_form", "form.pdf", HTML, 422, "does not contain what its name says: the content is text/html"),
    ("self_assessment_report", "report.docx", b"PK\x03\x04" + b"\x00" * 50, 422, "allowed file types are .pdf"),
    ("keyword_list", "keywords.txt", b"", 422, "is empty"),
    ("keyword_list", "keywords.txt", b"\x00\x01\x02binary", 422, "the content is application/octet-stream"),
    ("test_sets", "sets.exe", b"MZ\x90\x00", 422, "allowed file types are .csv, .jsonl, .xlsx, .zip"),
]
LABEL = {"filing_form": "Filing form", "self_assessment_report": "Security self-assessment report",
         "keyword_list": "Keyword interception list", "test_sets": "Evaluation test sets"}


def test_bad_uploads_are_named_and_store_nothing(scene: Scene) -> None:
    b, api, fid = scene.browser("provider_a"), scene.api("provider"), scene.draft.id

    def check(mtype: str, name: str, content: bytes, status: int, says: str) -> None:
        page = unchanged(scene, lambda: b.post(f"/filings/{fid}/materials/{mtype}", files={"file": (name, content)}),
                         status)
        assert says in page.text and 'id="material-error"' in page.text
        assert page.text.split('id="material-error">', 1)[1].startswith(LABEL[mtype] + ": ")
        body = unchanged(scene, lambda: api.post(f"/api/v1/filings/{fid}/materials/{mtype}",
                                                 files={"file": (name, content)}), status).json()
        assert body["error"] == "invalid_input" and says in body["fields"][mtype]

    run_cases(UPLOADS, check, lambda c: f"{c[0]} {c[1]}")


def test_an_upload_without_a_file_or_of_an_unknown_material(scene: Scene) -> None:
    b, api, url = scene.browser("provider_a"), scene.api("provider"), f"/filings/{scene.draft.id}/materials"
    page = unchanged(scene, lambda: b.post(f"{url}/keyword_list", {"x": "1"}, files={"other": ("a", b"b")}), 422)
    assert "Keyword interception list: Choose a file to upload." in page.text
    page = unchanged(scene, lambda: b.post(f"{url}/photo", files={"file": ("a.pdf", PDF)}), 422)
    assert "material_type: one of filing_form" in page.text
    api_url = f"/api/v1/filings/{scene.draft.id}/materials"
    body = unchanged(scene, lambda: api.post(f"{api_url}/keyword_list", data={"x": "1"},
                                             files={"other": ("a", b"b")}), 422).json()
    assert body["fields"] == {"file": "required"}
    body = unchanged(scene, lambda: api.post(f"{api_url}/photo", files={"file": ("a.pdf", PDF)}), 422).json()
    assert "material_type" in body["fields"]


def test_oversize_uploads_are_refused_before_being_stored(scene: Scene, monkeypatch: pytest.MonkeyPatch) -> None:
    # a 1 KB limit stands in for the real 20 MB (domain/filings/uploads.py): pages, API and the
    # service all read the same rule
    monkeypatch.setitem(uploads.RULES, MaterialType.KEYWORD_LIST, uploads.Rule((".txt",), 1024))
    b, api, fid = scene.browser("provider_a"), scene.api("provider"), scene.draft.id
    for content in (b"a\n" * 1000, b"a\n" * 100_000):  # over the limit; far over (refused on the declared length)
        page = unchanged(scene, lambda content=content: b.post(
            f"/filings/{fid}/materials/keyword_list", files={"file": ("k.txt", content)}), 413)
        assert "Keyword interception list: The file is larger than this material may be (1 KB)" in page.text
        body = unchanged(scene, lambda content=content: api.post(
            f"/api/v1/filings/{fid}/materials/keyword_list", files={"file": ("k.txt", content)}), 413).json()
        assert body["error"] == "too_large" and body["fields"] == {"keyword_list": "larger than 1 KB"}
    # the real limits, as the form states them
    page = b.get(f"/filings/{fid}").text
    assert "50 MB" in page and "100 MB" in page


# --- CSRF -----------------------------------------------------------------------------------------

SESSION_FORMS: list[tuple[str, str, dict[str, Any]]] = [
    ("provider_a", "/filings", {"kind": "filing"}),
    ("provider_a", "/filings/{draft}/form", {"model_name": "changed"}),
    ("provider_a", "/filings/{draft}/events", {"event": "submit"}),
    ("provider_a", "/filings/{draft}/change", {}),
    ("provider_a", "/account/tokens", {"name": "ci", "scopes": "filings:read"}),
    ("provider_a", "/account/tokens/{token}/revoke", {}),
    ("provider_a", "/logout", {}),
    ("reviewer_a", "/filings/{review}/events", {"event": "reject", "reason": "r"}),
    ("admin", "/admin/users", {"email": "n@b.cn", "role": "assessor", "password": PASSWORD}),
    ("admin", "/admin/organisations", {**ORG_BEIJING, "credit_code": "91330105MA2CFRHM12"}),
    ("admin", "/admin/users/{user}/access", {"role": "assessor"}),
    ("admin", "/admin/users/{user}/active", {"active": "no"}),
]


def test_a_form_without_its_sessions_token_changes_nothing(scene: Scene) -> None:
    others: dict[str, Browser] = {}

    def check(who: str, url: str, data: dict[str, Any]) -> None:
        b, target = scene.browser(who), scene.url(url)
        if who not in others:  # the same person, logged in elsewhere: a valid token, not this session's
            others[who] = Browser(scene.cast.app)
            assert others[who].login(PEOPLE[who][0], PASSWORD).status_code == 303
        n_sessions = sessions(scene.cast)
        for sent in ({}, {"csrf_token": ""}, {"csrf_token": "x" * 43}, {"csrf_token": others[who].csrf}):
            resp = unchanged(scene, lambda sent=sent: b.client.post(target, data={**data, **sent}), 403)
            assert STALE in resp.text, sent
        assert sessions(scene.cast) == n_sessions  # not even a logout
        assert b.get("/account").status_code == 200  # and the session itself is unharmed

    run_cases(SESSION_FORMS, check, lambda c: f"{c[0]} {c[1]}")


def test_an_upload_without_its_token_stores_nothing(scene: Scene) -> None:
    b, url = scene.browser("provider_a"), f"/filings/{scene.draft.id}/materials/keyword_list"
    for sent in ({}, {"csrf_token": "forged"}):
        resp = unchanged(scene, lambda sent=sent: b.client.post(
            url, data=sent, files={"file": ("k.txt", b"a\n")}), 403)
        assert STALE in resp.text


def test_a_form_from_before_a_logout_is_stale(scene: Scene) -> None:
    scene.cast.actor("provider_a")
    b = Browser(scene.cast.app)
    assert b.login(PEOPLE["provider_a"][0], PASSWORD).status_code == 303
    old = b.csrf
    assert b.post("/logout").status_code == 303
    assert b.login(PEOPLE["provider_a"][0], PASSWORD).status_code == 303
    resp = unchanged(scene, lambda: b.client.post("/filings", data={"kind": "filing", "csrf_token": old}), 403)
    assert STALE in resp.text


# --- the login form -------------------------------------------------------------------------------

def test_a_login_form_without_its_token_logs_nobody_in(scene: Scene) -> None:
    scene.cast.actor("provider_a")  # a real account with the right password: only the token is wrong
    email = PEOPLE["provider_a"][0]
    fresh = Browser(scene.cast.app)
    page = fresh.get("/login")
    token = csrf_of(page.text)
    n = sessions(scene.cast)
    attempts: list[tuple[Browser, dict[str, str]]] = [
        (fresh, {"email": email, "password": PASSWORD}),  # no token field
        (fresh, {"email": email, "password": PASSWORD, "csrf_token": "forged"}),
        (fresh, {"email": email, "password": PASSWORD, "csrf_token": ""}),
        (Browser(scene.cast.app), {"email": email, "password": PASSWORD, "csrf_token": token}),  # no cookie
    ]
    for b, data in attempts:
        resp = unchanged(scene, lambda b=b, data=data: b.client.post("/login", data=data), 403)
        assert "This form has expired" in resp.text and "clearance_session" not in resp.headers.get("set-cookie", "")
    assert sessions(scene.cast) == n


def test_a_login_form_with_missing_fields_is_not_a_login_attempt(scene: Scene) -> None:
    scene.cast.actor("provider_a")
    b = Browser(scene.cast.app)
    token = csrf_of(b.get("/login").text)
    n = sessions(scene.cast)
    for data in ({"email": "", "password": PASSWORD}, {"email": PEOPLE["provider_a"][0]}, {"password": PASSWORD},
                 {"email": PEOPLE["provider_a"][0], "password": ""}, {}):
        resp = unchanged(scene, lambda data=data, token=token: b.client.post(
            "/login", data={**data, "csrf_token": token}), 422)
        assert "Enter your email address and your password." in resp.text
        token = csrf_of(resp.text)  # the form comes back with a fresh token (and cookie)
    assert sessions(scene.cast) == n


# --- the JSON API ---------------------------------------------------------------------------------

API_CASES: list[tuple[str, str, str, Any, int, str]] = [
    # (client, method, url, JSON body, status, the field or code it names)
    ("provider", "POST", "/api/v1/filings", {}, 422, "kind"),
    ("provider", "POST", "/api/v1/filings", {"kind": 5}, 422, "kind"),
    ("provider", "POST", "/api/v1/filings", {"kind": "app"}, 422, "kind"),
    ("provider", "POST", "/api/v1/filings", {"kind": "filing", "form": {"concurrency": "many"}}, 422,
     "form.concurrency"),
    ("provider", "POST", "/api/v1/filings", {"kind": "filing", "form": {"endpoint": {"base_url": "x"}}}, 422,
     "form.endpoint.base_url"),
    ("provider", "POST", "/api/v1/filings", {"kind": "filing", "owner": "me"}, 422, "owner"),
    ("provider", "POST", "/api/v1/filings", "not an object", 422, "input"),
    ("provider", "PATCH", "/api/v1/filings/{draft}", {"concurrency": "many"}, 422, "concurrency"),
    ("provider", "PATCH", "/api/v1/filings/{draft}", {"accuracy_check_ratio": 2}, 422, "accuracy_check_ratio"),
    ("provider", "PATCH", "/api/v1/filings/{draft}", {"functions": ["teleport"]}, 422, "functions.0"),
    ("provider", "PATCH", "/api/v1/filings/{draft}", {"corpus": 1}, 422, "corpus"),
    ("provider", "PATCH", "/api/v1/filings/{draft}", ["concurrency", 1], 422, "input"),
    ("provider", "POST", "/api/v1/filings/{draft}/events", {}, 422, "event"),
    ("provider", "POST", "/api/v1/filings/{draft}/events", {"event": "x" * 51}, 422, "event"),
    ("provider", "POST", "/api/v1/filings/{draft}/events", {"event": "teleport"}, 422, "event"),
    ("provider", "POST", "/api/v1/filings/{draft}/events", {"event": "submit", "note": "hi"}, 422, "note"),
    ("reviewer", "POST", "/api/v1/filings/{review}/events", {"event": "reject"}, 409, "code=reason"),
    ("reviewer", "POST", "/api/v1/filings/{review}/events", {"event": "reject", "reason": " "}, 409, "code=reason"),
    ("reviewer", "POST", "/api/v1/filings/{review}/events", {"event": "request_supplement"}, 409, "code=reason"),
    ("reviewer", "POST", "/api/v1/filings/{review}/events", {"event": "reject", "reason": "x" * 5001}, 422,
     "reason"),
    ("provider", "POST", "/api/v1/filings/{draft}/change", None, 422, "previous_filing_id"),
]


def test_bad_api_input_is_named_and_changes_nothing(scene: Scene) -> None:
    def check(who: str, method: str, url: str, body: Any, status: int, names: str) -> None:
        client, target = scene.api(who), scene.url(url)
        answer = unchanged(scene, lambda: client.request(method, target, json=body), status).json()
        assert answer["message"]
        if names.startswith("code="):
            assert answer["error"] == "illegal_transition" and answer["code"] == names[5:]
            assert "needs a reason" in answer["message"]
        else:
            assert answer["error"] == "invalid_input" and names in answer["fields"], answer

    run_cases(API_CASES, check, lambda c: f"{c[1]} {c[2]} {c[3]!r}")


def test_a_body_that_is_not_json_is_named(scene: Scene) -> None:
    api = scene.api("provider")
    answer = unchanged(scene, lambda: api.post("/api/v1/filings", content=b"kind=filing",
                                               headers={"Content-Type": "application/json"}), 422).json()
    assert answer["error"] == "invalid_input" and answer["fields"]
