"""Repository for cached judge verdicts (table ``judge_cache``).

Rows are immutable: a key is a hash of every input that determines the verdict, so the first
stored verdict for a key is as good as any later one and a concurrent second writer simply
loses the insert race.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from clearance.adapters.db.tables import judge_cache


def get_verdict(engine: Engine, key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        raw = conn.execute(select(judge_cache.c.verdict).where(judge_cache.c.key == key)).scalar()
    if raw is None:
        return None
    # Some drivers hand JSON columns back as text.
    data = json.loads(raw) if isinstance(raw, str) else raw
    return data if isinstance(data, dict) else None


def put_verdict(engine: Engine, key: str, *, judge: str, verdict: dict[str, Any]) -> bool:
    """Store a verdict under ``key`` unless one is stored already. True when this call stored it."""
    try:
        with engine.begin() as conn:
            conn.execute(insert(judge_cache).values(
                key=key, judge=judge, verdict=verdict, created_at=datetime.now(UTC)))
    except IntegrityError:
        # Another run or worker stored the same key first; its verdict answers the same inputs.
        return False
    return True


def count_verdicts(engine: Engine, *, judge: str | None = None) -> int:
    stmt = select(func.count()).select_from(judge_cache)
    if judge is not None:
        stmt = stmt.where(judge_cache.c.judge == judge)
    with engine.connect() as conn:
        return int(conn.execute(stmt).scalar() or 0)


def clear_verdicts(engine: Engine, *, judge: str | None = None) -> int:
    """Forget cached verdicts (all, or one judge's), e.g. after a judge model was replaced
    under the same name. Returns how many rows were deleted."""
    stmt = delete(judge_cache)
    if judge is not None:
        stmt = stmt.where(judge_cache.c.judge == judge)
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount or 0)
