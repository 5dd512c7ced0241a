"""The administration pages as an administrator uses them: organisations, accounts, access
changes, disabling, and the audit chain's verification (also open to central reviewers). Every
change goes through services.accounts and is audited under the administrator's own id."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select, update

from clearance.adapters.db.tables_filings import audit_events
from tests.web.cast import PASSWORD, PEOPLE, Cast, build, cheap_passwords
from tests.web.workspace_client import Browser

HANGZHOU = {"name_zh": "杭州深度求索人工智能基础技术研究有限公司", "name_en": "Hangzhou DeepSeek",
            "credit_code": "91330105MA2CFRHM12", "province": "330000", "contact_name": "王五",
            "contact_phone": "0571-12345678", "contact_email": "Compliance@Example.org"}


@pytest.fixture
def cast(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cast:
    cheap_passwords(monkeypatch)
    return build(db, tmp_path)


def _events(db: Engine, action: str) -> list[Any]:
    with db.connect() as conn:
        return list(conn.execute(select(audit_events).where(audit_events.c.action == action)
                                 .order_by(audit_events.c.seq)).all())


def test_only_administrators_get_the_administration_link(cast: Cast) -> None:
    assert 'href="/admin"' in cast.browser("admin").get("/filings").text
    for role in ("provider_a", "central", "assessor"):
        assert 'href="/admin"' not in cast.browser(role).get("/filings").text
    # the area's entry sends each role to what it may use
    assert cast.browser("admin").get("/admin").headers["location"] == "/admin/users"
    assert cast.browser("central").get("/admin").headers["location"] == "/admin/audit"


def test_register_an_organisation(cast: Cast) -> None:
    admin = cast.browser("admin")
    resp = admin.post("/admin/organisations", HANGZHOU)
    assert resp.status_code == 303 and resp.headers["location"] == "/admin/organisations?saved=1"
    page = admin.get(resp.headers["location"]).text
    assert "Saved." in page and "Hangzhou DeepSeek" in page and "91330105MA2CFRHM12" in page
    assert "Zhejiang" in page  # the province by name
    [event] = [e for e in _events(cast.db, "organisation.created") if e.after["name_en"] == "Hangzhou DeepSeek"]
    assert event.actor == cast.actor("admin").id and event.after["contact_email"] == "compliance@example.org"


def test_create_an_account_that_can_then_log_in(cast: Cast) -> None:
    admin = cast.browser("admin")
    page = admin.get("/admin/users").text
    assert cast.org_a in page  # offered as the organisation of a new provider
    resp = admin.post("/admin/users", {"email": "New.Reviewer@gd.gov.cn", "role": "provincial_reviewer",
                                       "province": "440000", "organisation": "", "password": PASSWORD})
    assert resp.status_code == 303, resp.text
    listing = admin.get("/admin/users").text
    assert "new.reviewer@gd.gov.cn" in listing and "Guangdong" in listing
    [event] = _events(cast.db, "user.created")[-1:]
    assert event.actor == cast.actor("admin").id
    assert event.after == {"email": "new.reviewer@gd.gov.cn", "role": "provincial_reviewer", "province": "440000",
                           "organisation": None}
    assert PASSWORD not in str(event.after)
    newcomer = Browser(cast.app)
    assert newcomer.login("new.reviewer@gd.gov.cn", PASSWORD).status_code == 303
    assert "Provincial reviewer" in newcomer.get("/account").text


def test_change_access_ends_the_users_sessions(cast: Cast) -> None:
    reviewer = cast.browser("reviewer_a")
    user_id = cast.actor("reviewer_a").id
    admin = cast.browser("admin")
    page = admin.get(f"/admin/users/{user_id}").text
    assert PEOPLE["reviewer_a"][0] in page and "Beijing" in page
    resp = admin.post(f"/admin/users/{user_id}/access", {"role": "provincial_reviewer", "province": "310000",
                                                        "organisation": ""})
    assert resp.status_code == 303 and resp.headers["location"] == f"/admin/users/{user_id}?saved=1"
    assert "Shanghai" in admin.get(resp.headers["location"]).text
    [event] = _events(cast.db, "user.access_changed")
    assert event.before["province"] == "110000" and event.after["province"] == "310000"
    # the reviewer's open browser is logged out; logging in again gives the new province
    assert reviewer.get("/filings").status_code == 303
    again = Browser(cast.app)
    assert again.login(PEOPLE["reviewer_a"][0], PASSWORD).status_code == 303
    assert "Shanghai" in again.get("/account").text


def test_a_role_change_clears_what_the_old_role_needed(cast: Cast) -> None:
    user_id = cast.actor("provider_a").id
    admin = cast.browser("admin")
    resp = admin.post(f"/admin/users/{user_id}/access", {"role": "assessor", "province": "", "organisation": ""})
    assert resp.status_code == 303, resp.text
    [event] = _events(cast.db, "user.access_changed")
    assert event.before["organisation"] == cast.org_a and event.after == {
        "role": "assessor", "province": None, "organisation": None, "active": True}


def test_disable_and_enable_an_account(cast: Cast) -> None:
    provider = cast.browser("provider_a")
    api = cast.api("provider_a")
    assert api.get("/api/v1/filings").status_code == 200
    user_id = cast.actor("provider_a").id
    admin = cast.browser("admin")
    assert admin.post(f"/admin/users/{user_id}/active", {"active": "no"}).status_code == 303
    page = admin.get(f"/admin/users/{user_id}").text
    assert 'id="user-status">disabled' in page and "Enable the account" in page
    # logged out, cannot log in, and the API tokens stop working
    assert provider.get("/filings").status_code == 303
    assert Browser(cast.app).login(PEOPLE["provider_a"][0], PASSWORD).status_code == 401
    assert api.get("/api/v1/filings").status_code == 401
    assert admin.post(f"/admin/users/{user_id}/active", {"active": "yes"}).status_code == 303
    assert Browser(cast.app).login(PEOPLE["provider_a"][0], PASSWORD).status_code == 303
    assert api.get("/api/v1/filings").status_code == 200
    assert [(e.before["active"], e.after["active"]) for e in _events(cast.db, "user.access_changed")] == [
        (True, False), (False, True)]


def test_an_administrator_revokes_a_leaked_api_token(cast: Cast) -> None:
    api = cast.api("provider_a")
    assert api.get("/api/v1/filings").status_code == 200
    user_id = cast.actor("provider_a").id
    admin = cast.browser("admin")
    page = admin.get(f"/admin/users/{user_id}").text
    token_id = page.split('data-token="', 1)[1].split('"', 1)[0]
    # a token of another user is not revoked through this user's page
    assert admin.post(f"/admin/users/{cast.actor('central').id}/tokens/{token_id}/revoke").status_code == 404
    assert api.get("/api/v1/filings").status_code == 200
    assert admin.post(f"/admin/users/{user_id}/tokens/{token_id}/revoke").status_code == 303
    assert api.get("/api/v1/filings").status_code == 401
    [event] = _events(cast.db, "token.revoked")
    assert event.actor == cast.actor("admin").id and event.object_id == token_id


def test_an_administrator_cannot_lock_themselves_out(cast: Cast) -> None:
    admin = cast.browser("admin")
    me = cast.actor("admin").id
    page = admin.get(f"/admin/users/{me}").text
    assert "You cannot disable your own account." in page and 'action="/admin/users/' + me + '/active"' not in page
    for url, data in ((f"/admin/users/{me}/active", {"active": "no"}),
                      (f"/admin/users/{me}/access", {"role": "assessor"})):
        resp = admin.post(url, data)
        assert resp.status_code == 422 and "cannot disable or demote their own account" in resp.text
    assert admin.get("/admin/users").status_code == 200  # still an administrator, still logged in


def test_audit_verification_reports_an_intact_chain_and_then_the_break(cast: Cast) -> None:
    central = cast.browser("central")
    page = central.get("/admin/audit").text
    assert 'data-intact="yes"' in page and "Events verified" in page
    with cast.db.begin() as conn:
        seq = conn.execute(select(audit_events.c.seq).order_by(audit_events.c.seq).limit(1)).scalar_one()
        conn.execute(update(audit_events).where(audit_events.c.seq == seq).values(actor="someone else"))
    for who in ("central", "admin"):
        page = cast.browser(who).get("/admin/audit").text
        assert 'data-intact="no"' in page and f"broken at event {seq}" in page


def test_the_administration_pages_speak_chinese(cast: Cast) -> None:
    cast.browser("admin")  # the account exists
    zh = Browser(cast.app, lang="zh")
    assert zh.login(PEOPLE["admin"][0], PASSWORD).status_code == 303
    page = zh.get("/admin/organisations").text
    assert "新建备案单位" in page and "统一社会信用代码" in page and "北京市" in page
    assert "系统管理" in page  # the navigation link
    resp = zh.post("/admin/users", {"email": "r@example.cn", "role": "provincial_reviewer", "password": PASSWORD})
    assert resp.status_code == 422 and "属地审核员必须指定属地" in resp.text
