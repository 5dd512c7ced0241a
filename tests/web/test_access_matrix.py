"""Who may do what, role by role and route by route, through the pages and the JSON API.

The expectations are written out below from the access policy of docs/filings.md, not derived
from the code under test:

| role | sees | does |
|---|---|---|
| provider | own organisation's filings, drafts included | create, edit (draft or supplement requested), upload, events of their own |
| provincial reviewer | submitted filings of own province | phase 1 decisions |
| assessor, central reviewer | every submitted filing | phases 2 and 3; central reviewers verify the audit log |
| admin | no filing | users, organisations, audit verify |

Outcomes: ``ok`` (200 for a page, 200 or 303 after a form, 2xx from the API), ``hidden`` (404,
and exactly the answer a made-up id gets: same status, same body but for the id), ``denied`` (403),
``illegal`` (409: visible, but not a move the workflow allows this role), ``invalid`` (422),
``login`` (a page sends the visitor to /login; the API answers 401). Every answer other than
``ok`` must leave filings, materials, accounts, tokens, the audit log and stored files as they
were.

The filings: ``draft`` is side A's (Beijing) draft; ``review`` and ``review2`` are side A's in
provincial review; ``other`` is side B's (Shanghai) in provincial review; ``random`` is an id
nobody has; ``token`` is an API token of an account outside the cast and ``user`` that account.
The assessment rows are for a filing in provincial review, which has no assessment yet: its
pages answer 404 like a missing object to those who may see assessments (the progress itself is
open to all who see the filing, the report's items only to assessors and central reviewers,
TC260-003's questions and answers being the regulator's); phase-2 actions are refused to
everyone outside technical assessment. tests/web/test_assessment_pages.py covers the same roles
on a filing with a running and a completed assessment.
Requests that succeed and change something come last in each table, on filings no
later row reads (``review`` for the pages' event, ``review2`` for the API's)."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from clearance.domain.filings.records import Filing
from clearance.services import accounts
from tests.filings.conftest import ADMIN
from tests.web.cast import PASSWORD, Cast, build, cheap_passwords, state_of

ROLES: tuple[str | None, ...] = ("provider_a", "provider_b", "reviewer_a", "reviewer_b", "assessor", "central",
                                 "admin", None)
COLUMNS = "prov_A  prov_B  rev_A  rev_B  assessor  central  admin  anonymous"

PAGES = """
# what                                                                         prov_A   prov_B   rev_A    rev_B    assessor  central  admin    anonymous
list filings                  GET   /filings                                   ok       ok       ok       ok       ok       ok       ok       login
start a draft                 POST  /filings                                   ok       ok       denied   denied   denied   denied   denied   login
read the draft                GET   /filings/{draft}                           ok       hidden   hidden   hidden   hidden   hidden   hidden   login
read a filing in review       GET   /filings/{review}                          ok       hidden   ok       hidden   ok       ok       hidden   login
read the other province's     GET   /filings/{other}                           hidden   ok       hidden   ok       ok       ok       hidden   login
read a random id              GET   /filings/{random}                          hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
edit the draft's form         POST  /filings/{draft}/form                      ok       hidden   hidden   hidden   hidden   hidden   hidden   login
edit a form in review         POST  /filings/{review}/form                     denied   hidden   denied   hidden   denied   denied   hidden   login
edit a random id's form       POST  /filings/{random}/form                     hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
upload to the draft           POST  /filings/{draft}/materials/keyword_list    ok       hidden   hidden   hidden   hidden   hidden   hidden   login
upload to a filing in review  POST  /filings/{review}/materials/keyword_list   denied   hidden   denied   hidden   denied   denied   hidden   login
upload to a random id         POST  /filings/{random}/materials/keyword_list   hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
download from the draft       GET   /filings/{draft}/materials/{draft_file}    ok       hidden   hidden   hidden   hidden   hidden   hidden   login
download from review          GET   /filings/{review}/materials/{review_file}  ok       hidden   ok       hidden   ok       ok       hidden   login
download another's file       GET   /filings/{review}/materials/{draft_file}   hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
open a change filing          POST  /filings/{review}/change                   invalid  hidden   denied   hidden   denied   denied   hidden   login
own account                   GET   /account                                   ok       ok       ok       ok       ok       ok       ok       login
administration                GET   /admin/users                               denied   denied   denied   denied   denied   denied   ok       login
organisations                 GET   /admin/organisations                       denied   denied   denied   denied   denied   denied   ok       login
one user                      GET   /admin/users/{user}                        denied   denied   denied   denied   denied   denied   ok       login
audit verification            GET   /admin/audit                               denied   denied   denied   denied   denied   ok       ok       login
create a user                 POST  /admin/users                               denied   denied   denied   denied   denied   denied   ok       login
register an organisation      POST  /admin/organisations                       denied   denied   denied   denied   denied   denied   ok       login
change a user's access        POST  /admin/users/{user}/access                 denied   denied   denied   denied   denied   denied   ok       login
disable a user                POST  /admin/users/{user}/active                 denied   denied   denied   denied   denied   denied   ok       login
create an API token           POST  /account/tokens                            ok       ok       ok       ok       ok       ok       ok       login
revoke a user's API token     POST  /admin/users/{user}/tokens/{token}/revoke    denied   denied   denied   denied   denied   denied   ok       login
revoke another's API token    POST  /account/tokens/{token}/revoke             hidden   hidden   hidden   hidden   hidden   hidden   ok       login
assessment progress (none)    GET   /filings/{review}/assessment               hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
progress twin (none)          GET   /filings/{review}/assessment.json          hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
progress of a random id       GET   /filings/{random}/assessment               hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
manual sample                 GET   /filings/{review}/assessment/label         denied   hidden   denied   hidden   denied   denied   hidden   login
full report (none)            GET   /filings/{review}/assessment/report        denied   hidden   denied   hidden   hidden   hidden   hidden   login
report record (none)          GET   /filings/{review}/assessment/report.json   denied   hidden   denied   hidden   hidden   hidden   hidden   login
phase 3 review (none)         GET   /filings/{review}/review                   denied   hidden   denied   hidden   hidden   hidden   hidden   login
change diff                   GET   /filings/{review}/diff                     denied   hidden   denied   hidden   invalid  invalid  hidden   login
schedule an assessment        POST  /filings/{review}/assessment/schedule      denied   hidden   denied   hidden   denied   denied   hidden   login
resume an assessment          POST  /filings/{review}/assessment/resume        denied   hidden   denied   hidden   denied   denied   hidden   login
label a sample item           POST  /filings/{review}/assessment/label         denied   hidden   denied   hidden   denied   denied   hidden   login
sign the assessment           POST  /filings/{review}/assessment/sign          denied   hidden   denied   hidden   denied   denied   hidden   login
publication batches           GET   /review/batches                            denied   denied   denied   denied   denied   ok       denied   login
compose a batch               POST  /review/batches                            denied   denied   denied   denied   denied   invalid  denied   login
publish a random batch        POST  /review/batches/{random}/publish           denied   denied   denied   denied   denied   hidden   denied   login
fire an event on a random id  POST  /filings/{random}/events                   hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
ask for a supplement          POST  /filings/{review}/events                   illegal  hidden   ok       hidden   illegal  illegal  hidden   login
"""

API = """
# what                                                                                prov_A   prov_B   rev_A    rev_B    assessor  central  admin    anonymous
list filings                  GET    /api/v1/filings                                  ok       ok       ok       ok       ok       ok       ok       login
create a draft                POST   /api/v1/filings                                  ok       ok       denied   denied   denied   denied   denied   login
read the draft                GET    /api/v1/filings/{draft}                          ok       hidden   hidden   hidden   hidden   hidden   hidden   login
read a filing in review       GET    /api/v1/filings/{review}                         ok       hidden   ok       hidden   ok       ok       hidden   login
read the other province's     GET    /api/v1/filings/{other}                          hidden   ok       hidden   ok       ok       ok       hidden   login
read a random id              GET    /api/v1/filings/{random}                         hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
edit the draft                PATCH  /api/v1/filings/{draft}                          ok       hidden   hidden   hidden   hidden   hidden   hidden   login
edit a filing in review       PATCH  /api/v1/filings/{review}                         denied   hidden   denied   hidden   denied   denied   hidden   login
edit a random id              PATCH  /api/v1/filings/{random}                         hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
upload to the draft           POST   /api/v1/filings/{draft}/materials/keyword_list   ok       hidden   hidden   hidden   hidden   hidden   hidden   login
upload to a filing in review  POST   /api/v1/filings/{review}/materials/keyword_list  denied   hidden   denied   hidden   denied   denied   hidden   login
upload to a random id         POST   /api/v1/filings/{random}/materials/keyword_list  hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
timeline of the draft         GET    /api/v1/filings/{draft}/timeline                 ok       hidden   hidden   hidden   hidden   hidden   hidden   login
timeline of review            GET    /api/v1/filings/{review}/timeline                ok       hidden   ok       hidden   ok       ok       hidden   login
timeline of a random id       GET    /api/v1/filings/{random}/timeline                hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
open a change filing          POST   /api/v1/filings/{review}/change                  invalid  hidden   denied   hidden   denied   denied   hidden   login
change filing of a random id  POST   /api/v1/filings/{random}/change                  hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
fire an event on a random id  POST   /api/v1/filings/{random}/events                  hidden   hidden   hidden   hidden   hidden   hidden   hidden   login
ask for a supplement          POST   /api/v1/filings/{review2}/events                 illegal  hidden   ok       hidden   illegal  illegal  hidden   login
"""

# What each role finds in its list of filings (page and API alike).
LISTED = """
             draft  review  review2  other
prov_A       yes    yes     yes      no
prov_B       no     no      no       yes
rev_A        no     yes     yes      no
rev_B        no     no      no       yes
assessor     no     yes     yes      yes
central      no     yes     yes      yes
admin        no     no      no       no
"""

# What the forms and calls send (the CSRF token is added by the browser helper).
SUPPLEMENT = {"event": "request_supplement", "reason": "请补充语料来源说明"}
BODIES: dict[str, dict[str, Any]] = {
    "schedule an assessment": {"data": {"plan": "quick"}},
    "start a draft": {"data": {"kind": "filing"}},
    "edit the draft's form": {"data": {"model_name": "云雀 Chat 2"}},
    "edit a form in review": {"data": {"model_name": "云雀 Chat 2"}},
    "edit a random id's form": {"data": {"model_name": "云雀 Chat 2"}},
    "create a user": {"data": {"email": "new@tc260.example.cn", "role": "assessor", "password": "another passphrase"}},
    "register an organisation": {"data": {
        "name_zh": "杭州深度求索人工智能基础技术研究有限公司", "name_en": "Hangzhou DeepSeek",
        "credit_code": "91330105MA2CFRHM12", "province": "330000", "contact_name": "王五",
        "contact_phone": "0571-12345678", "contact_email": "compliance@example.org"}},
    "change a user's access": {"data": {"role": "central_reviewer"}},
    "disable a user": {"data": {"active": "no"}},
    "create an API token": {"data": {"name": "ci", "scopes": "filings:read", "days": "30"}},
    "fire an event on a random id": {"data": SUPPLEMENT, "json": SUPPLEMENT},
    "ask for a supplement": {"data": SUPPLEMENT, "json": SUPPLEMENT},
    "create a draft": {"json": {"kind": "filing"}},
    "edit the draft": {"json": {"concurrency": 100}},
    "edit a filing in review": {"json": {"concurrency": 100}},
    "edit a random id": {"json": {"concurrency": 100}},
}
UPLOAD = {"files": {"file": ("keywords.txt", "新关键词\n".encode())}}
OUTCOMES = {"ok", "hidden", "denied", "illegal", "invalid", "login"}
FILINGS = ("draft", "review", "review2", "other")
MATERIALS = ("draft_file", "review_file")


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    url: str
    expected: dict[str | None, str]


def table(text: str) -> list[Row]:
    rows = []
    for line in text.strip().splitlines():
        if line.startswith("#"):
            continue  # the column heads
        name, method, url, *cells = re.split(r"\s{2,}", line.strip())
        assert len(cells) == len(ROLES) and set(cells) <= OUTCOMES, f"{name}: {cells}"
        rows.append(Row(name, method, url, dict(zip(ROLES, cells, strict=True))))
    return rows


def listed() -> dict[str, set[str]]:
    """LISTED as {role: the filings it sees}."""
    head, *lines = LISTED.strip().splitlines()
    out = {}
    for line, role in zip(lines, ROLES, strict=False):
        label, *cells = line.split()
        assert label == COLUMNS.split()[ROLES.index(role)], label
        out[str(role)] = {n for n, c in zip(head.split(), cells, strict=True) if c == "yes"}
    return out


def fresh_id(prefix: str) -> str:
    return prefix + secrets.token_hex(8)


@dataclass
class Scene:
    cast: Cast
    filings: dict[str, Filing]
    user: str
    token: str

    def url(self, template: str, twin_for: str | None = None) -> str:
        """The row's URL; with ``twin_for`` (a role), its missing twin: what the role cannot see
        (by LISTED) replaced by an id nobody has, so the two answers must be alike."""
        values: dict[str, str] = {name: f.id for name, f in self.filings.items()}
        values.update(random=fresh_id("fil_"), user=self.user, token=self.token,
                      draft_file=str(self.filings["draft"].materials[0].id),
                      review_file=str(self.filings["review"].materials[0].id))
        if twin_for is not None:
            seen = listed()[twin_for]
            names = re.findall(r"\{(\w+)\}", template)
            for name in names:
                if name in FILINGS and name not in seen:
                    values[name] = fresh_id("fil_")
                elif name in MATERIALS and not any(n in FILINGS and n not in seen for n in names):
                    values[name] = "99999999"  # the filing is visible: the material is what is asked about
                elif name == "token":
                    values[name] = fresh_id("tok_")
        return template.format(**values)


@pytest.fixture
def scene(db: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Scene]:
    cheap_passwords(monkeypatch)
    cast = build(db, tmp_path)
    filings = {"draft": cast.draft("a"), "review": cast.in_review("a"), "review2": cast.in_review("a"),
               "other": cast.in_review("b")}
    # the account the administrator changes in the admin rows, with a token others try to revoke
    target = accounts.create_user(db, actor=ADMIN, email="target@tc260.example.cn", role="assessor",
                                  password=PASSWORD)
    _, token = accounts.create_token(db, actor=accounts.actor_for(target), name="theirs", scopes=["filings:read"])
    yield Scene(cast, filings, target.id, token.id)


def _send(scene: Scene, role: str | None, kind: str, row: Row, url: str) -> Any:
    body = UPLOAD if "/materials/keyword_list" in row.url else BODIES.get(row.name, {})
    if kind == "page":
        b = scene.cast.browser(role)
        return b.get(url) if row.method == "GET" else b.post(url, body.get("data"), files=body.get("files"))
    return scene.cast.api(role).request(row.method, url, json=body.get("json"), files=body.get("files"))


def _normalised(resp: Any) -> tuple[int, str | None, str]:
    """The answer with the ids the request named taken out: all a hidden object's answer and a
    missing one's may differ in."""
    text = re.sub(r"(fil|tok)_[0-9a-f]{16}", "ID", resp.text)
    text = re.sub(r"(material |/materials/)\d+", r"\1N", text)
    return resp.status_code, resp.headers.get("content-type"), text


def _check(scene: Scene, role: str | None, kind: str, row: Row) -> str | None:
    """None when the answer is the expected one, else what went wrong."""
    expected = row.expected[role]
    url = scene.url(row.url)
    before = state_of(scene.cast) if expected != "ok" else None
    resp = _send(scene, role, kind, row, url)
    status, where = resp.status_code, resp.headers.get("location", "")
    if expected == "ok":
        good = (status == 200 if row.method == "GET" else status in (200, 303) if kind == "page"
                else status in (200, 201)) and not where.startswith("/login")
    elif expected == "login":
        good = status == 401 if kind == "api" else status == 303 and where.startswith("/login?next=")
    else:
        good = status == {"hidden": 404, "denied": 403, "illegal": 409, "invalid": 422}[expected]
    said = f"{kind} {row.method} {row.url} ({row.name}) as {role or 'anonymous'}"
    if not good:
        return f"{said}: expected {expected}, got {status} {resp.text[:300]!r}"
    if before is not None and state_of(scene.cast) != before:
        return f"{said}: refused with {status}, yet something changed"
    if expected == "hidden":
        assert role is not None
        twin = _send(scene, role, kind, row, scene.url(row.url, twin_for=role))
        if _normalised(resp) != _normalised(twin):
            return f"{said}: answers unlike a missing one:\n{resp.text[:300]}\nvs\n{twin.text[:300]}"
    if kind == "api" and expected not in ("ok", "login"):
        body = resp.json()
        if not (set(body) >= {"error", "message"} and body["message"]):
            return f"{said}: error body {body!r}"
    return None


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "anonymous")
def test_pages_and_api_answer_each_role_as_the_policy_says(scene: Scene, role: str | None) -> None:
    problems = [p for kind, rows in (("page", table(PAGES)), ("api", table(API)))
                for row in rows if (p := _check(scene, role, kind, row)) is not None]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("role", ROLES[:-1])
def test_lists_show_what_the_policy_lets_each_role_see(scene: Scene, role: str) -> None:
    expected = {scene.filings[n].id for n in listed()[role]}
    everything = {f.id for f in scene.filings.values()}
    page = scene.cast.browser(role).get("/filings")
    assert page.status_code == 200
    assert {i for i in everything if f"/filings/{i}" in page.text} == expected
    api = scene.cast.api(role).get("/api/v1/filings")
    assert api.status_code == 200
    assert {f["id"] for f in api.json()["filings"]} & everything == expected


def test_the_tables_cover_every_route() -> None:
    """A route added to these areas without a row here fails: access is decided route by route."""
    from clearance.interfaces.web.filings import api
    from clearance.interfaces.web.workspace import admin, assessment, auth, batches
    from clearance.interfaces.web.workspace import filings as pages

    def shape(url: str) -> str:
        return re.sub(r"\{\w+\}|keyword_list", "{}", url)

    covered = {(r.method, shape(r.url)) for r in table(PAGES) + table(API)}
    routes = {(m, shape(r.path)) for mod in (api, admin, auth, pages, assessment, batches) for r in mod.router.routes
              for m in getattr(r, "methods", ())}
    # logging in and out is the same for everyone; /admin only redirects (test_admin_pages)
    not_per_role = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout"), ("GET", "/admin")}
    assert routes - not_per_role - covered == set()
