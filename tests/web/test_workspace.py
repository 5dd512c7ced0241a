"""The workspace's sessions, CSRF protection, languages and the provider's and provincial
reviewer's filing pages, through the app as a browser uses it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import Engine, func, select

from clearance.adapters.db.tables_filings import audit_events, filings, web_sessions
from clearance.adapters.material_store import MaterialStore
from clearance.interfaces.web.app import create_app
from clearance.interfaces.web.filings.api import material_store
from clearance.services import accounts
from tests.filings.conftest import (
    ADMIN,
    BEIJING,
    FILING_FORM,
    MATERIAL_FILES,
    ORG_BEIJING,
    ORG_SHANGHAI,
    SHANGHAI,
)
from tests.web.workspace_client import Browser, csrf_of

PASSWORD = "a long enough passphrase"


@dataclass
class Site:
    app: FastAPI
    db: Engine
    org: str
    other_org: str

    def browser(self, email: str, lang: str = "en") -> Browser:
        b = Browser(self.app, lang=lang)
        assert b.login(email, PASSWORD).status_code == 303
        return b


@pytest.fixture
def site(db: Engine, tmp_path: Path) -> Iterator[Site]:
    org = accounts.create_organisation(db, actor=ADMIN, data=ORG_BEIJING)
    other = accounts.create_organisation(db, actor=ADMIN, data=ORG_SHANGHAI)
    for email, role, extra in [("p@bj.cn", "provider", {"organisation": org.id}),
                               ("p@sh.cn", "provider", {"organisation": other.id}),
                               ("r@bj.gov.cn", "provincial_reviewer", {"province": BEIJING}),
                               ("r@sh.gov.cn", "provincial_reviewer", {"province": SHANGHAI})]:
        accounts.create_user(db, actor=ADMIN, email=email, role=role, password=PASSWORD, **extra)
    app = create_app(db)
    store = MaterialStore(tmp_path / "materials")
    app.dependency_overrides[material_store] = lambda: store
    yield Site(app, db, org.id, other.id)


def _count(db: Engine, table: object) -> int:
    with db.connect() as c:
        return int(c.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def _new_filing(b: Browser) -> str:
    resp = b.post("/filings", {"kind": "filing"})
    assert resp.status_code == 303
    return str(resp.headers["location"]).rsplit("/", 1)[-1]


def _complete(b: Browser, fid: str) -> None:
    form = {k: v for k, v in FILING_FORM.items() if k != "endpoint"}
    data: dict[str, object] = {k: ("yes" if v is True else "no" if v is False else v) for k, v in form.items()}
    data.update({"endpoint.base_url": "http://127.0.0.1:9/v1", "endpoint.model": "m"})
    assert b.post(f"/filings/{fid}/form", data).status_code == 303
    for mtype, (name, content) in MATERIAL_FILES.items():
        resp = b.post(f"/filings/{fid}/materials/{mtype}", files={"file": (name, content)})
        assert resp.status_code == 303, resp.text


# --- sessions ---------------------------------------------------------------------------------

def test_pages_need_a_login_and_come_back_after_it(site: Site) -> None:
    b = Browser(site.app)
    resp = b.get("/filings?state=draft")
    assert resp.status_code == 303 and resp.headers["location"] == "/login?next=/filings%3Fstate%3Ddraft"
    login = b.get(resp.headers["location"])
    posted = b.client.post("/login", data={"email": "p@bj.cn", "password": PASSWORD,
                                           "csrf_token": csrf_of(login.text), "next": "/filings?state=draft"})
    assert posted.status_code == 303 and posted.headers["location"] == "/filings?state=draft"


def test_session_cookie_is_httponly_samesite_and_stored_hashed(site: Site) -> None:
    b = Browser(site.app)
    page = b.get("/login")
    resp = b.client.post("/login", data={"email": "p@bj.cn", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    cookie = next(h for h in resp.headers.get_list("set-cookie") if h.startswith("clearance_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with site.db.connect() as c:
        stored = c.execute(select(web_sessions.c.token_sha256)).scalars().all()
    assert token not in stored and len(stored) == 1


def test_secure_cookie_over_tls(site: Site) -> None:
    from fastapi.testclient import TestClient

    c = TestClient(site.app, base_url="https://testserver", follow_redirects=False)
    page = c.get("/login")
    resp = c.post("/login", data={"email": "p@bj.cn", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert all("Secure" in h for h in resp.headers.get_list("set-cookie") if h.startswith("clearance_session="))


def test_logout_ends_the_session_for_a_copied_cookie_too(site: Site) -> None:
    b = site.browser("p@bj.cn")
    copied = dict(b.client.cookies)
    assert b.post("/logout").status_code == 303
    from fastapi.testclient import TestClient

    thief = TestClient(site.app, cookies=copied, follow_redirects=False)
    assert thief.get("/filings").status_code == 303
    assert _count(site.db, web_sessions) == 0


def test_idle_session_expires(site: Site) -> None:
    user = accounts.authenticate(site.db, email="p@bj.cn", password=PASSWORD)
    start = datetime.now(UTC)
    token, _ = accounts.start_session(site.db, user=user, now=start)
    used = start + timedelta(minutes=5)
    assert accounts.session(site.db, token=token, now=used) is not None  # use keeps it alive
    assert accounts.session(site.db, token=token, now=used + accounts.SESSION_IDLE - timedelta(minutes=1))
    later = used + 2 * accounts.SESSION_IDLE
    assert accounts.session(site.db, token=token, now=later) is None
    assert _count(site.db, web_sessions) == 0  # an expired session is removed, not kept


def test_every_session_ends_after_the_maximum_even_when_used(site: Site) -> None:
    user = accounts.authenticate(site.db, email="p@bj.cn", password=PASSWORD)
    start = datetime.now(UTC)
    token, _ = accounts.start_session(site.db, user=user, now=start)
    at = start
    while at < start + accounts.SESSION_MAX - timedelta(hours=1):
        at += timedelta(hours=1)
        assert accounts.session(site.db, token=token, now=at) is not None
    assert accounts.session(site.db, token=token, now=start + accounts.SESSION_MAX) is None


def test_a_change_of_access_ends_the_users_sessions(site: Site) -> None:
    b = site.browser("r@bj.gov.cn")
    user = accounts.authenticate(site.db, email="r@bj.gov.cn", password=PASSWORD)
    accounts.change_access(site.db, actor=ADMIN, user_id=user.id, province=SHANGHAI)
    assert b.get("/filings").status_code == 303


def test_wrong_password_is_refused_without_saying_which_part(site: Site) -> None:
    b = Browser(site.app)
    for email in ("p@bj.cn", "nobody@bj.cn"):
        page = b.get("/login")
        resp = b.client.post("/login", data={"email": email, "password": "wrong password here",
                                             "csrf_token": csrf_of(page.text)})
        assert resp.status_code == 401 and "Wrong email address or password." in resp.text


def test_login_is_throttled_with_a_clear_message(site: Site) -> None:
    b = Browser(site.app, lang="zh")
    for _ in range(5):
        page = b.get("/login")
        b.client.post("/login", data={"email": "p@bj.cn", "password": "wrong password here",
                                      "csrf_token": csrf_of(page.text)})
    page = b.get("/login")
    resp = b.client.post("/login", data={"email": "p@bj.cn", "password": PASSWORD, "csrf_token": csrf_of(page.text)})
    assert resp.status_code == 401 and "登录失败次数过多" in resp.text


def test_login_form_without_its_token_is_refused(site: Site) -> None:
    b = Browser(site.app)
    resp = b.client.post("/login", data={"email": "p@bj.cn", "password": PASSWORD, "csrf_token": "forged"})
    assert resp.status_code == 403 and "expired" in resp.text
    assert _count(site.db, web_sessions) == 0


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example"])
def test_login_never_redirects_off_site(site: Site, target: str) -> None:
    b = Browser(site.app)
    page = b.get("/login")
    resp = b.client.post("/login", data={"email": "p@bj.cn", "password": PASSWORD,
                                         "csrf_token": csrf_of(page.text), "next": target})
    assert resp.headers["location"] == "/filings"


# --- CSRF -------------------------------------------------------------------------------------

def test_a_stale_form_token_changes_nothing(site: Site) -> None:
    b = site.browser("p@bj.cn")
    before = (_count(site.db, filings), _count(site.db, audit_events))
    resp = b.client.post("/filings", data={"kind": "filing", "csrf_token": "stale"})
    assert resp.status_code == 403 and "Reload the page" in resp.text
    resp = b.client.post("/filings", data={"kind": "filing"})
    assert resp.status_code == 403
    assert (_count(site.db, filings), _count(site.db, audit_events)) == before


def test_workspace_pages_forbid_inline_script_and_framing(site: Site) -> None:
    b = site.browser("p@bj.cn")
    resp = b.get("/filings")
    assert "script-src 'self'" in resp.headers["content-security-policy"]
    assert resp.headers["x-frame-options"] == "DENY" and resp.headers["cache-control"] == "no-store"
    assert "<script>" not in resp.text and "style=" not in resp.text


# --- languages --------------------------------------------------------------------------------

def test_pages_follow_accept_language_and_the_switch(site: Site) -> None:
    zh = site.browser("p@bj.cn", lang="zh-CN,zh;q=0.9")
    assert "创建草稿" in zh.get("/filings").text
    en = zh.get("/filings?lang=en")
    assert "Start a draft" in en.text
    assert "Start a draft" in zh.get("/filings").text  # remembered in a cookie


# --- the provider's filing pages --------------------------------------------------------------

def test_provider_drafts_saves_uploads_and_submits(site: Site) -> None:
    b = site.browser("p@bj.cn")
    fid = _new_filing(b)
    page = b.get(f"/filings/{fid}")
    assert "Still missing before you can submit" in page.text and 'data-event="submit"' not in page.text
    _complete(b, fid)
    page = b.get(f"/filings/{fid}")
    assert "Still missing" not in page.text and 'data-event="submit"' in page.text
    assert b.post(f"/filings/{fid}/events", {"event": "submit"}).status_code == 303
    page = b.get(f"/filings/{fid}")
    assert 'id="filing-form"' not in page.text  # no longer editable
    assert "Submit for review" in page.text  # the timeline names the step


def test_autosave_answers_json_with_what_is_still_missing(site: Site) -> None:
    b = site.browser("p@bj.cn", lang="zh")
    fid = _new_filing(b)
    resp = b.post(f"/filings/{fid}/form", {"model_name": "云雀"}, headers={"Accept": "application/json"})
    body = resp.json()
    assert resp.status_code == 200 and body["saved"] is True
    assert "模型名称" not in body["missing"] and "联系人" in body["missing"]
    bad = b.post(f"/filings/{fid}/form", {"model_name": "云雀", "concurrency": "lots"},
                 headers={"Accept": "application/json"})
    assert bad.status_code == 422 and set(bad.json()["errors"]) == {"concurrency"}


def test_an_invalid_field_is_shown_next_to_it_and_nothing_is_saved(site: Site) -> None:
    b = site.browser("p@bj.cn")
    fid = _new_filing(b)
    b.post(f"/filings/{fid}/form", {"model_name": "Keep me"})
    before = _count(site.db, audit_events)
    resp = b.post(f"/filings/{fid}/form", {"model_name": "Changed", "foreign_open_source_share": "1.5",
                                           "endpoint.base_url": "ftp://x"})
    assert resp.status_code == 422
    assert 'data-field="foreign_open_source_share"' in resp.text and 'data-field="endpoint.base_url"' in resp.text
    assert 'value="Changed"' in resp.text  # what was typed is shown again
    assert _count(site.db, audit_events) == before
    assert "Keep me" in b.get(f"/filings/{fid}").text


def test_upload_checks_content_and_downloads_are_attachments(site: Site) -> None:
    b = site.browser("p@bj.cn")
    fid = _new_filing(b)
    resp = b.post(f"/filings/{fid}/materials/filing_form",
                  files={"file": ("form.pdf", b"<html><script>alert(1)</script></html>")})
    assert resp.status_code == 422 and 'id="material-error"' in resp.text
    name, content = MATERIAL_FILES["filing_form"]
    assert b.post(f"/filings/{fid}/materials/filing_form", files={"file": (name, content)}).status_code == 303
    page = b.get(f"/filings/{fid}").text
    link = page.split(f'/filings/{fid}/materials/', 1)[1].split('"', 1)[0]
    got = b.get(f"/filings/{fid}/materials/{link}")
    assert got.content == content and got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"


def test_oversize_upload_is_refused_before_reading(site: Site) -> None:
    b = site.browser("p@bj.cn")
    fid = _new_filing(b)
    before = _count(site.db, audit_events)
    resp = b.post(f"/filings/{fid}/materials/keyword_list", files={"file": ("k.txt", b"x" * (21 * 1024 * 1024))})
    assert resp.status_code == 413 and "(20 MB). Nothing was uploaded." in resp.text
    assert _count(site.db, audit_events) == before


def test_upload_without_a_file_or_with_a_stale_token_changes_nothing(site: Site) -> None:
    b = site.browser("p@bj.cn")
    fid = _new_filing(b)
    before = _count(site.db, audit_events)
    assert b.post(f"/filings/{fid}/materials/keyword_list").status_code == 422
    resp = b.client.post(f"/filings/{fid}/materials/keyword_list", data={"csrf_token": "old"},
                         files={"file": ("k.txt", b"a\n")})
    assert resp.status_code == 403
    assert b.post(f"/filings/{fid}/materials/no_such_type", files={"file": ("k.txt", b"a\n")}).status_code == 422
    assert _count(site.db, audit_events) == before


def test_reviewer_needs_a_reason_to_request_a_supplement(site: Site) -> None:
    p = site.browser("p@bj.cn")
    fid = _new_filing(p)
    _complete(p, fid)
    p.post(f"/filings/{fid}/events", {"event": "submit"})
    r = site.browser("r@bj.gov.cn")
    assert r.post(f"/filings/{fid}/events", {"event": "start_provincial_review"}).status_code == 303
    resp = r.post(f"/filings/{fid}/events", {"event": "request_supplement", "reason": "  "})
    assert resp.status_code == 409 and 'id="event-error"' in resp.text
    assert r.post(f"/filings/{fid}/events", {"event": "request_supplement",
                                             "reason": "请补充语料来源说明"}).status_code == 303
    page = p.get(f"/filings/{fid}").text
    assert "请补充语料来源说明" in page and 'id="filing-form"' in page  # editable again, reason shown


def test_another_provinces_reviewer_sees_a_404_like_a_missing_filing(site: Site) -> None:
    p = site.browser("p@bj.cn")
    fid = _new_filing(p)
    _complete(p, fid)
    p.post(f"/filings/{fid}/events", {"event": "submit"})
    other = site.browser("r@sh.gov.cn")
    seen, missing = other.get(f"/filings/{fid}"), other.get("/filings/fil_0000000000000000")
    assert seen.status_code == missing.status_code == 404
    assert other.post(f"/filings/{fid}/events", {"event": "start_provincial_review"}).status_code == 404
    assert fid not in other.get("/filings").text


def test_field_errors_are_written_for_people_in_their_language(site: Site) -> None:
    b = site.browser("p@bj.cn", lang="zh")
    fid = _new_filing(b)
    resp = b.post(f"/filings/{fid}/form", {"concurrency": "很多", "accuracy_check_ratio": "2",
                                           "endpoint.base_url": "api.example.cn", "endpoint.model": "m"},
                  headers={"Accept": "application/json"})
    assert resp.json()["errors"] == {"concurrency": "请输入整数，例如 2000。", "accuracy_check_ratio": "请输入不大于 1 的数。",
                                     "endpoint.base_url": "请输入以 http:// 或 https:// 开头的地址。"}
    page = b.get(f"/filings/{fid}").text
    assert "110000" not in page and "北京市" in page  # provinces by name, not code


def test_messages_the_domain_writes_itself_pass_through() -> None:
    from clearance.interfaces.web.catalogues import Translator
    from clearance.interfaces.web.workspace.field_messages import humane

    assert humane("'ABC' is not a valid filing number", Translator("en")) == "'ABC' is not a valid filing number"
    assert humane("Input should be greater than or equal to 0", Translator("en")) == "Enter 0 or more."


def test_the_timeline_names_people_and_keeps_reviewers_anonymous_to_providers(site: Site) -> None:
    p = site.browser("p@bj.cn", lang="en")
    fid = _new_filing(p)
    _complete(p, fid)
    p.post(f"/filings/{fid}/events", {"event": "submit"})
    r = site.browser("r@bj.gov.cn")
    r.post(f"/filings/{fid}/events", {"event": "start_provincial_review"})
    seen_by_reviewer, seen_by_provider = r.get(f"/filings/{fid}").text, p.get(f"/filings/{fid}").text
    assert "r@bj.gov.cn" in seen_by_reviewer and "p@bj.cn" in seen_by_reviewer
    assert "r@bj.gov.cn" not in seen_by_provider and "Provincial reviewer" in seen_by_provider
    assert "p@bj.cn" in seen_by_provider and "usr_" not in seen_by_provider.split('id="timeline"')[1]
