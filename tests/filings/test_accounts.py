"""Users, passwords (argon2), login throttling and API tokens, through the services and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select
from typer.testing import CliRunner

from clearance.adapters.db.tables_filings import api_tokens, audit_events, users
from clearance.domain.accounts import LOCKOUT, MAX_FAILURES, token_digest
from clearance.domain.filings.workflow import Role
from clearance.domain.policy import Forbidden
from clearance.interfaces.cli import admin
from clearance.interfaces.cli.app import app
from clearance.services import accounts
from clearance.services.errors import InvalidInput, InvalidToken, LoginRefused, NotFound
from tests.filings.conftest import ADMIN, World

PASSWORD = "correct horse battery"


def _user(w: World, email: str = "p@example.cn", role: str = "provider", **kw: str) -> accounts.repo.UserRecord:
    if role == "provider":
        kw.setdefault("organisation", w.org)
    return accounts.create_user(w.db, actor=ADMIN, email=email, role=role, password=PASSWORD, **kw)


def _stored_hash(db: Engine, email: str) -> str:
    with db.connect() as conn:
        return str(conn.execute(select(users.c.password_hash).where(users.c.email == email)).scalar_one())


def test_passwords_are_stored_as_argon2id_hashes(world: World) -> None:
    u = _user(world, "Compliance@Example.CN")
    assert u.email == "compliance@example.cn" and u.role is Role.PROVIDER and u.organisation_id == world.org
    stored = _stored_hash(world.db, u.email)
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with world.db.connect() as conn:
        dumped = " ".join(str(r) for r in conn.execute(select(audit_events)).all())
    assert PASSWORD not in dumped and stored not in dumped
    assert accounts.authenticate(world.db, email="COMPLIANCE@example.cn", password=PASSWORD).id == u.id


@pytest.mark.parametrize(("kw", "field"), [
    ({"email": "not-an-address"}, "email"),
    ({"role": "superuser"}, "role"),
    ({"role": "provincial_reviewer"}, "input"),             # needs a province
    ({"role": "provincial_reviewer", "province": "999999"}, "province"),
    ({"role": "provider", "organisation": "org_missing"}, "organisation"),
    ({"role": "assessor", "organisation": "ORG"}, "input"),  # only providers belong to one
    ({"password": "short"}, "password"),
])
def test_bad_user_input_creates_nothing(world: World, kw: dict[str, str], field: str) -> None:
    args = {"email": "x@example.cn", "role": "assessor", "password": PASSWORD, **kw}
    if args.get("organisation") == "ORG":
        args["organisation"] = world.org
    with pytest.raises(InvalidInput) as exc:
        accounts.create_user(world.db, actor=ADMIN, **args)  # type: ignore[arg-type]
    assert field in exc.value.errors, exc.value.errors
    with world.db.connect() as conn:
        assert conn.execute(select(users)).all() == []


def test_only_admins_create_users_and_emails_are_unique(world: World) -> None:
    with pytest.raises(Forbidden):
        accounts.create_user(world.db, actor=world.central, email="a@example.cn", role="assessor", password=PASSWORD)
    _user(world)
    with pytest.raises(InvalidInput, match="already has an account"):
        _user(world)


def test_wrong_password_and_unknown_address_are_refused_alike(world: World) -> None:
    _user(world)
    with pytest.raises(LoginRefused) as wrong:
        accounts.authenticate(world.db, email="p@example.cn", password="wrong password!")
    with pytest.raises(LoginRefused) as unknown:
        accounts.authenticate(world.db, email="nobody@example.cn", password=PASSWORD)
    assert str(wrong.value) == str(unknown.value)


def test_login_is_throttled_then_unlocked(world: World) -> None:
    _user(world)
    t0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
    for i in range(MAX_FAILURES):
        with pytest.raises(LoginRefused, match="wrong"):
            accounts.authenticate(world.db, email="p@example.cn", password="guess", now=t0 + timedelta(seconds=i))
    # locked: even the right password is refused, without being checked
    with pytest.raises(LoginRefused, match="too many failed logins"):
        accounts.authenticate(world.db, email="p@example.cn", password=PASSWORD, now=t0 + timedelta(minutes=1))
    later = t0 + timedelta(seconds=MAX_FAILURES) + LOCKOUT + timedelta(seconds=1)
    assert accounts.authenticate(world.db, email="p@example.cn", password=PASSWORD, now=later).email == "p@example.cn"
    # a success clears the failures: one more mistake does not lock again
    with pytest.raises(LoginRefused, match="wrong"):
        accounts.authenticate(world.db, email="p@example.cn", password="guess", now=later + timedelta(seconds=1))
    with world.db.connect() as conn:
        actions = conn.execute(select(audit_events.c.action).where(audit_events.c.action.like("login.%"))
                               .order_by(audit_events.c.seq)).scalars().all()
    assert actions == ["login.failed"] * MAX_FAILURES + ["login.locked", "login.succeeded", "login.failed"]


def test_tokens_are_stored_hashed_scoped_and_revocable(world: World) -> None:
    u = _user(world)
    actor = accounts.actor_for(u)
    token, rec = accounts.create_token(world.db, actor=actor, name="ci", scopes=["filings:read"])
    assert token.startswith("clr_") and len(token) > 40
    with world.db.connect() as conn:
        stored = conn.execute(select(api_tokens)).one()._mapping
    assert stored["token_sha256"] == token_digest(token) and token not in str(dict(stored))
    who = accounts.verify_token(world.db, token=token, scope="filings:read")
    assert who.id == u.id and who.organisation == world.org and who.role is Role.PROVIDER
    with pytest.raises(InvalidToken, match="lacks the scope"):
        accounts.verify_token(world.db, token=token, scope="filings:write")
    with pytest.raises(InvalidToken, match="unknown"):
        accounts.verify_token(world.db, token=token + "x")
    # another user cannot revoke it (nor learn that it exists)
    other = _user(world, "q@example.cn")
    with pytest.raises(NotFound):
        accounts.revoke_token(world.db, actor=accounts.actor_for(other), token_id=rec.id)
    accounts.revoke_token(world.db, actor=actor, token_id=rec.id)
    with pytest.raises(InvalidToken, match="revoked"):
        accounts.verify_token(world.db, token=token)


def test_expired_tokens_and_bad_scopes(world: World) -> None:
    actor = accounts.actor_for(_user(world))
    token, _ = accounts.create_token(world.db, actor=actor, name="old", scopes=["filings:write"],
                                     expires_at=datetime.now(UTC) - timedelta(seconds=1))
    with pytest.raises(InvalidToken, match="expired"):
        accounts.verify_token(world.db, token=token)
    with pytest.raises(InvalidInput):
        accounts.create_token(world.db, actor=actor, name="x", scopes=["everything"])


def test_cli_users_create(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin, "db", lambda: world.db)
    monkeypatch.setenv("NEW_PASSWORD", PASSWORD)
    runner = CliRunner()
    res = runner.invoke(app, ["users", "create", "--email", "r@example.cn", "--role", "provincial_reviewer",
                              "--province", "110000", "--password-env", "NEW_PASSWORD"])
    assert res.exit_code == 0, res.output
    assert "created provincial_reviewer r@example.cn" in res.output
    u = accounts.authenticate(world.db, email="r@example.cn", password=PASSWORD)
    assert u.province == "110000"
    prompted = runner.invoke(app, ["users", "create", "--email", "c@example.cn", "--role", "central_reviewer"],
                             input=f"{PASSWORD}\n{PASSWORD}\n")
    assert prompted.exit_code == 0, prompted.output
    bad = runner.invoke(app, ["users", "create", "--email", "x@example.cn", "--role", "provincial_reviewer",
                              "--password-env", "NEW_PASSWORD"])
    assert bad.exit_code == 2 and "no account was created" in bad.output
    with world.db.connect() as conn:
        creator = conn.execute(select(audit_events.c.actor).where(audit_events.c.action == "user.created")).scalars().first()
    assert creator is not None and creator.startswith("cli:")


def test_access_changes_are_audited_and_disabling_blocks_login_and_tokens(world: World) -> None:
    u = _user(world)
    token, _ = accounts.create_token(world.db, actor=accounts.actor_for(u), name="ci", scopes=["filings:read"])
    r = accounts.change_access(world.db, actor=ADMIN, user_id=u.id, role="provincial_reviewer", province="310000")
    assert (r.role, r.province, r.organisation_id) == (Role.PROVINCIAL_REVIEWER, "310000", None)
    assert accounts.verify_token(world.db, token=token).province == "310000"  # the token follows the account
    accounts.change_access(world.db, actor=ADMIN, user_id=u.id, active=False)
    with pytest.raises(LoginRefused):
        accounts.authenticate(world.db, email=u.email, password=PASSWORD)
    with pytest.raises(InvalidToken, match="disabled"):
        accounts.verify_token(world.db, token=token)
    with world.db.connect() as conn:
        changes = conn.execute(select(audit_events).where(audit_events.c.action == "user.access_changed")
                               .order_by(audit_events.c.seq)).all()
    assert [c.before["role"] for c in changes] == ["provider", "provincial_reviewer"]
    assert changes[-1].after["active"] is False
    with pytest.raises(InvalidInput):  # a provincial reviewer without a province
        accounts.change_access(world.db, actor=ADMIN, user_id=u.id, role="provincial_reviewer", province=None)
    with pytest.raises(Forbidden):
        accounts.change_access(world.db, actor=world.central, user_id=u.id, active=True)


def test_admins_cannot_lock_themselves_out(world: World) -> None:
    admin_user = _user(world, "admin@example.cn", role="admin")
    me = accounts.actor_for(admin_user)
    for kw in ({"active": False}, {"role": "assessor"}):
        with pytest.raises(InvalidInput, match="own account"):
            accounts.change_access(world.db, actor=me, user_id=admin_user.id, **kw)  # type: ignore[arg-type]
