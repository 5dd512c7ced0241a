from __future__ import annotations

from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect

import clearance.adapters.db.engine as dbe
from clearance.adapters.db.tables import metadata


def test_head_constant_matches_the_migration_scripts() -> None:
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(dbe.__file__).parent / "migrations"))
    assert ScriptDirectory.from_config(cfg).get_current_head() == dbe.HEAD_REVISION


def test_migrations_create_every_table_and_are_idempotent(db: Engine) -> None:
    assert dbe.at_head(db)
    dbe.upgrade(db)
    assert set(metadata.tables) <= set(inspect(db).get_table_names())


def test_fresh_database_is_migrated_on_first_use(tmp_path: Path) -> None:
    eng = dbe.engine_for(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert dbe.at_head(eng)
