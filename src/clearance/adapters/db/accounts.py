"""Repository for users, failed logins and API tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from clearance.adapters.db.tables_filings import api_tokens, login_failures, users, web_sessions
from clearance.domain.filings.workflow import Role


def _utc(v: datetime | None) -> datetime | None:
    if v is None:
        return None
    return v.replace(tzinfo=UTC) if v.tzinfo is None else v.astimezone(UTC)


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: str
    email: str
    password_hash: str
    role: Role
    province: str | None
    organisation_id: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class TokenRecord:
    id: str
    user_id: str
    name: str
    scopes: tuple[str, ...]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


def _user(m: Any) -> UserRecord:
    return UserRecord(id=m["id"], email=m["email"], password_hash=m["password_hash"], role=Role(m["role"]),
                      province=m["province"], organisation_id=m["organisation_id"], active=bool(m["active"]))


def _token(m: Any) -> TokenRecord:
    return TokenRecord(id=m["id"], user_id=m["user_id"], name=m["name"], scopes=tuple(m["scopes"]),
                       created_at=_utc(m["created_at"]) or datetime.now(UTC), expires_at=_utc(m["expires_at"]),
                       revoked_at=_utc(m["revoked_at"]))


def insert_user(conn: Connection, **values: Any) -> None:
    conn.execute(insert(users).values(**values))


def user_by_email(conn: Connection, email: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.email == email)).first()
    return _user(row._mapping) if row is not None else None


def get_user(conn: Connection, user_id: str) -> UserRecord | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return _user(row._mapping) if row is not None else None


def list_users(conn: Connection) -> list[UserRecord]:
    return [_user(r._mapping) for r in conn.execute(select(users).order_by(users.c.email)).all()]


def users_by_ids(conn: Connection, ids: list[str]) -> list[UserRecord]:
    if not ids:
        return []
    return [_user(r._mapping) for r in conn.execute(select(users).where(users.c.id.in_(ids))).all()]


def set_password_hash(conn: Connection, user_id: str, password_hash: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def failures_since(conn: Connection, email: str, since: datetime) -> list[datetime]:
    rows = conn.execute(select(login_failures.c.at).where(login_failures.c.email == email,
                                                          login_failures.c.at > since)).scalars().all()
    return [v for v in (_utc(r) for r in rows) if v is not None]


def add_failure(conn: Connection, email: str, at: datetime) -> None:
    conn.execute(insert(login_failures).values(email=email, at=at))


def clear_failures(conn: Connection, email: str) -> None:
    conn.execute(delete(login_failures).where(login_failures.c.email == email))


def insert_token(conn: Connection, **values: Any) -> None:
    conn.execute(insert(api_tokens).values(**values))


def token_by_digest(conn: Connection, digest: str) -> TokenRecord | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.token_sha256 == digest)).first()
    return _token(row._mapping) if row is not None else None


def get_token(conn: Connection, token_id: str) -> TokenRecord | None:
    row = conn.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
    return _token(row._mapping) if row is not None else None


def revoke_token(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(revoked_at=at))


def touch_token(conn: Connection, token_id: str, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))


def update_user(conn: Connection, user_id: str, **values: Any) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(**values))


@dataclass(frozen=True, slots=True)
class SessionRecord:
    token_sha256: str
    user_id: str
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


def insert_session(conn: Connection, **values: Any) -> None:
    conn.execute(insert(web_sessions).values(**values))


def session_by_digest(conn: Connection, digest: str) -> SessionRecord | None:
    row = conn.execute(select(web_sessions).where(web_sessions.c.token_sha256 == digest)).first()
    if row is None:
        return None
    m = row._mapping
    return SessionRecord(token_sha256=m["token_sha256"], user_id=m["user_id"], csrf_token=m["csrf_token"],
                         created_at=_utc(m["created_at"]) or datetime.now(UTC),
                         last_seen_at=_utc(m["last_seen_at"]) or datetime.now(UTC),
                         expires_at=_utc(m["expires_at"]) or datetime.now(UTC))


def touch_session(conn: Connection, digest: str, at: datetime) -> None:
    conn.execute(update(web_sessions).where(web_sessions.c.token_sha256 == digest).values(last_seen_at=at))


def delete_session(conn: Connection, digest: str) -> None:
    conn.execute(delete(web_sessions).where(web_sessions.c.token_sha256 == digest))


def delete_sessions_of(conn: Connection, user_id: str) -> int:
    return conn.execute(delete(web_sessions).where(web_sessions.c.user_id == user_id)).rowcount or 0


def tokens_of(conn: Connection, user_id: str) -> list[TokenRecord]:
    rows = conn.execute(select(api_tokens).where(api_tokens.c.user_id == user_id)
                        .order_by(api_tokens.c.created_at.desc())).all()
    return [_token(r._mapping) for r in rows]
