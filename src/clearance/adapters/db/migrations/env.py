"""Alembic environment: runs on the connection handed in by ``clearance.adapters.db.engine``
(or on ``sqlalchemy.url`` when invoked from the alembic command line)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from clearance.adapters.db.tables import metadata

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url (or use `clearance db upgrade`)")
    with create_engine(url).connect() as conn:
        context.configure(connection=conn, target_metadata=metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        conn.commit()
