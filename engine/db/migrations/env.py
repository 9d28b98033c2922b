"""Alembic environment: the connection comes from engine.db.schema, which passes it in."""

from __future__ import annotations

from alembic import context

from engine.db.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
