"""Account use cases: organisations, users, login with throttling, API tokens. Every change and
every login attempt appends an audit event in the same transaction."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Engine

from clearance.adapters import passwords
from clearance.adapters.db import accounts as repo
from clearance.adapters.db import audit_log
from clearance.adapters.db import filings as filings_repo
from clearance.domain.accounts import (
    WINDOW,
    Scope,
    UserCreate,
    new_token,
    password_problem,
    throttle,
    token_digest,
)
from clearance.domain.filings.organisations import Organisation, OrganisationCreate
from clearance.domain.filings.workflow import Actor, Role
from clearance.domain.policy import Action, require
from clearance.services.errors import InvalidInput, InvalidToken, LoginRefused, NotFound


def _now() -> datetime:
    return datetime.now(UTC)


def actor_for(user: repo.UserRecord) -> Actor:
    return Actor(user.id, user.role, province=user.province, organisation=user.organisation_id)


def operator(name: str) -> Actor:
    """The actor for someone with direct access to the installation (the `clearance` CLI on the
    server): an administrator, recorded in the audit log as ``cli:<name>``."""
    return Actor(f"cli:{name}", Role.ADMIN)


def create_organisation(db: Engine, *, actor: Actor, data: dict[str, Any]) -> Organisation:
    require(actor, Action.MANAGE_ORGANISATIONS)
    try:
        org_in = OrganisationCreate.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc) from None
    org = Organisation(id="org_" + secrets.token_hex(8), **org_in.model_dump())
    with audit_log.writing(db) as conn:
        if filings_repo.organisation_by_credit_code(conn, org.credit_code) is not None:
            raise InvalidInput({"credit_code": f"{org.credit_code} is already registered"})
        filings_repo.insert_organisation(conn, org, _now())
        audit_log.append(conn, actor=actor.id, action="organisation.created", object_type="organisation",
                         object_id=org.id, after=org.model_dump())
    return org


def create_user(db: Engine, *, actor: Actor, email: str, role: str, password: str,
                province: str | None = None, organisation: str | None = None) -> repo.UserRecord:
    require(actor, Action.MANAGE_USERS)
    # every problem at once, the password's included, so a form is corrected in one go
    errors: dict[str, str] = {}
    data: UserCreate | None = None
    try:
        data = UserCreate.model_validate({"email": email, "role": role, "province": province,
                                          "organisation": organisation})
    except ValidationError as exc:
        errors = InvalidInput.from_validation(exc).errors
    problem = password_problem(password)
    if problem is not None:
        errors["password"] = problem
    if errors or data is None:
        raise InvalidInput(errors)
    user_id = "usr_" + secrets.token_hex(8)
    password_hash = passwords.hash_password(password)  # slow on purpose: outside the transaction
    with audit_log.writing(db) as conn:
        if repo.user_by_email(conn, data.email) is not None:
            raise InvalidInput({"email": f"{data.email} already has an account"})
        if data.organisation and filings_repo.get_organisation(conn, data.organisation) is None:
            raise InvalidInput({"organisation": f"no organisation {data.organisation!r}"})
        repo.insert_user(conn, id=user_id, email=data.email, password_hash=password_hash, role=data.role.value,
                         province=data.province, organisation_id=data.organisation, active=True,
                         created_at=_now())
        audit_log.append(conn, actor=actor.id, action="user.created", object_type="user", object_id=user_id,
                         after={"email": data.email, "role": data.role.value, "province": data.province,
                                "organisation": data.organisation})
        user = repo.get_user(conn, user_id)
    assert user is not None
    return user


def list_organisations(db: Engine, *, actor: Actor) -> list[Organisation]:
    require(actor, Action.MANAGE_ORGANISATIONS)
    with db.connect() as conn:
        return filings_repo.list_organisations(conn)


def list_users(db: Engine, *, actor: Actor) -> list[repo.UserRecord]:
    """Every account, by email address (password hashes are in the records: interfaces show
    the other fields only)."""
    require(actor, Action.MANAGE_USERS)
    with db.connect() as conn:
        return repo.list_users(conn)


def get_user(db: Engine, *, actor: Actor, user_id: str) -> repo.UserRecord:
    require(actor, Action.MANAGE_USERS)
    with db.connect() as conn:
        user = repo.get_user(conn, user_id)
    if user is None:
        raise NotFound(f"no user {user_id!r}")
    return user


def tokens_of_user(db: Engine, *, actor: Actor, user_id: str) -> list[repo.TokenRecord]:
    """A user's API tokens, for an administrator (e.g. to revoke a leaked one)."""
    get_user(db, actor=actor, user_id=user_id)  # MANAGE_USERS, and the user exists
    with db.connect() as conn:
        return repo.tokens_of(conn, user_id)


@dataclass(frozen=True, slots=True)
class _Attempt:
    user: repo.UserRecord | None
    ok: bool
    locked_until: datetime | None


@dataclass(frozen=True, slots=True)
class Person:
    """Who an audit event or a signature names, as a page may show them."""

    id: str
    email: str
    role: Role
    organisation: str | None


def people(db: Engine, ids: list[str]) -> dict[str, Person]:
    """The user accounts among ``ids`` (audit actors may also be CLI operators or, for login
    attempts, typed addresses; those are simply absent)."""
    wanted = sorted({i for i in ids if i.startswith("usr_")})
    with db.connect() as conn:
        found = repo.users_by_ids(conn, wanted)
    return {u.id: Person(u.id, u.email, u.role, u.organisation_id) for u in found}


def authenticate(db: Engine, *, email: str, password: str, now: datetime | None = None) -> repo.UserRecord:
    """The user, or ``LoginRefused``. Failures are recorded (and audited) before the refusal is
    raised; while an account is locked its password is not even checked, so guessing during a
    lockout learns nothing."""
    at = now or _now()
    key = email.strip().lower()[:200]  # bounded: it is stored in the audit log as typed
    with audit_log.writing(db) as conn:
        verdict = throttle(repo.failures_since(conn, key, at - WINDOW), at)
        user = repo.user_by_email(conn, key)
        if not verdict.allowed:
            attempt = _Attempt(user, False, verdict.locked_until)
            audit_log.append(conn, actor=key, action="login.locked", object_type="user",
                             object_id=user.id if user else key, at=at)
        else:
            ok = passwords.verify_password(user.password_hash if user else None, password) \
                and user is not None and user.active
            attempt = _Attempt(user, ok, None)
            if ok:
                assert user is not None
                repo.clear_failures(conn, key)
                if passwords.needs_rehash(user.password_hash):
                    repo.set_password_hash(conn, user.id, passwords.hash_password(password))
            else:
                repo.add_failure(conn, key, at)
            audit_log.append(conn, actor=key, action="login.succeeded" if ok else "login.failed",
                             object_type="user", object_id=user.id if user else key, at=at)
    if attempt.locked_until is not None:
        raise LoginRefused(f"too many failed logins: try again after {attempt.locked_until:%H:%M} UTC")
    if not attempt.ok or attempt.user is None:
        raise LoginRefused("wrong email address or password")
    return attempt.user


def create_token(db: Engine, *, actor: Actor, name: str, scopes: list[str],
                 expires_at: datetime | None = None) -> tuple[str, repo.TokenRecord]:
    """A new API token for the actor's own account. The token text is returned once and only its
    SHA-256 is stored."""
    bad = [s for s in scopes if s not in {x.value for x in Scope}]
    if bad or not scopes:
        raise InvalidInput({"scopes": "choose from " + ", ".join(s.value for s in Scope)})
    if not name.strip() or len(name) > 100:
        raise InvalidInput({"name": "a name of 1 to 100 characters"})
    if expires_at is not None and expires_at.tzinfo is None:
        raise InvalidInput({"expires_at": "an aware UTC time"})
    token = new_token()
    token_id = "tok_" + secrets.token_hex(8)
    with audit_log.writing(db) as conn:
        if repo.get_user(conn, actor.id) is None:
            raise NotFound("API tokens belong to user accounts")
        repo.insert_token(conn, id=token_id, user_id=actor.id, name=name.strip(), token_sha256=token_digest(token),
                          scopes=sorted(set(scopes)), created_at=_now(), expires_at=expires_at)
        audit_log.append(conn, actor=actor.id, action="token.created", object_type="api_token",
                         object_id=token_id, after={"name": name.strip(), "scopes": sorted(set(scopes))})
        rec = repo.get_token(conn, token_id)
    assert rec is not None
    return token, rec


def list_tokens(db: Engine, *, actor: Actor) -> list[repo.TokenRecord]:
    """The actor's own API tokens, newest first (their text is never shown again)."""
    with db.connect() as conn:
        return repo.tokens_of(conn, actor.id)


def verify_token(db: Engine, *, token: str, scope: str | None = None) -> Actor:
    now = _now()
    with db.begin() as conn:  # not audited: a use, not a change
        rec = repo.token_by_digest(conn, token_digest(token.strip()))
        if rec is None:
            raise InvalidToken("unknown API token")
        if rec.revoked_at is not None:
            raise InvalidToken("this API token was revoked")
        if rec.expires_at is not None and rec.expires_at <= now:
            raise InvalidToken("this API token has expired")
        if scope is not None and scope not in rec.scopes:
            raise InvalidToken(f"this API token lacks the scope {scope}")
        user = repo.get_user(conn, rec.user_id)
        if user is None or not user.active:
            raise InvalidToken("the token's account is disabled")
        repo.touch_token(conn, rec.id, now)
    return actor_for(user)


def revoke_token(db: Engine, *, actor: Actor, token_id: str) -> None:
    with audit_log.writing(db) as conn:
        rec = repo.get_token(conn, token_id)
        if rec is None or (rec.user_id != actor.id and actor.role is not Role.ADMIN):
            raise NotFound(f"no API token {token_id!r}")
        if rec.revoked_at is not None:
            return
        now = _now()
        repo.revoke_token(conn, token_id, now)
        audit_log.append(conn, actor=actor.id, action="token.revoked", object_type="api_token",
                         object_id=token_id, before={"revoked": False}, after={"revoked": True})


def change_access(db: Engine, *, actor: Actor, user_id: str, role: str | None = None,
                  province: str | None = None, organisation: str | None = None,
                  active: bool | None = None) -> repo.UserRecord:
    """Change a user's role (with the province or organisation the role needs) or disable or
    enable the account; audited with before and after. An admin cannot disable or demote
    their own account, so an installation is never left without the admin who noticed."""
    require(actor, Action.MANAGE_USERS)
    with audit_log.writing(db) as conn:
        user = repo.get_user(conn, user_id)
        if user is None:
            raise NotFound(f"no user {user_id!r}")
        if user.id == actor.id and (active is False or (role is not None and role != user.role.value)):
            raise InvalidInput({"user": "administrators cannot disable or demote their own account"})
        new_role = role or user.role.value
        role_changes = role is not None
        try:
            data = UserCreate.model_validate({
                "email": user.email, "role": new_role,
                "province": province if role_changes or province is not None else user.province,
                "organisation": organisation if role_changes or organisation is not None else user.organisation_id})
        except ValidationError as exc:
            raise InvalidInput.from_validation(exc) from None
        if data.organisation and filings_repo.get_organisation(conn, data.organisation) is None:
            raise InvalidInput({"organisation": f"no organisation {data.organisation!r}"})
        before = {"role": user.role.value, "province": user.province, "organisation": user.organisation_id,
                  "active": user.active}
        after = {"role": data.role.value, "province": data.province, "organisation": data.organisation,
                 "active": user.active if active is None else active}
        if after != before:
            repo.update_user(conn, user_id, role=after["role"], province=after["province"],
                             organisation_id=after["organisation"], active=after["active"])
            # a permission change takes effect at once: the user logs in again under the new role
            repo.delete_sessions_of(conn, user_id)
            audit_log.append(conn, actor=actor.id, action="user.access_changed", object_type="user",
                             object_id=user_id, before=before, after=after)
        updated = repo.get_user(conn, user_id)
    assert updated is not None
    return updated


# Browser sessions. Idle sessions end after SESSION_IDLE, every session after SESSION_MAX: a
# reviewer's unattended browser does not stay able to approve models overnight.
SESSION_IDLE = timedelta(hours=2)
SESSION_MAX = timedelta(hours=12)
# last_seen_at is written at most this often, so page views are not each a database write.
_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class WebSession:
    actor: Actor
    email: str
    csrf_token: str


def start_session(db: Engine, *, user: repo.UserRecord, now: datetime | None = None) -> tuple[str, WebSession]:
    """A new browser session for a user who has just authenticated. Returns the cookie value
    (shown once; only its SHA-256 is stored) and the session."""
    at = now or _now()
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    with audit_log.writing(db) as conn:
        repo.insert_session(conn, token_sha256=token_digest(token), user_id=user.id, csrf_token=csrf,
                            created_at=at, last_seen_at=at, expires_at=at + SESSION_MAX)
    return token, WebSession(actor=actor_for(user), email=user.email, csrf_token=csrf)


def session(db: Engine, *, token: str, now: datetime | None = None) -> WebSession | None:
    """The session a cookie names, or None when it is unknown, expired, idle too long or its
    account is disabled."""
    if not token or len(token) > 100:
        return None
    at = now or _now()
    digest = token_digest(token)
    with db.begin() as conn:
        rec = repo.session_by_digest(conn, digest)
        if rec is None:
            return None
        if rec.expires_at <= at or rec.last_seen_at + SESSION_IDLE <= at:
            repo.delete_session(conn, digest)
            return None
        user = repo.get_user(conn, rec.user_id)
        if user is None or not user.active:
            repo.delete_session(conn, digest)
            return None
        if at - rec.last_seen_at >= _TOUCH_EVERY:
            repo.touch_session(conn, digest, at)
    return WebSession(actor=actor_for(user), email=user.email, csrf_token=rec.csrf_token)


def end_session(db: Engine, *, token: str) -> None:
    """Log out: the session row goes, so the cookie is worthless even if it was copied."""
    digest = token_digest(token)
    with audit_log.writing(db) as conn:
        rec = repo.session_by_digest(conn, digest)
        if rec is None:
            return
        repo.delete_session(conn, digest)
        audit_log.append(conn, actor=rec.user_id, action="logout", object_type="user", object_id=rec.user_id)
