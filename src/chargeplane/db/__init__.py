"""Persistence: ORM models, engines and units of work, Alembic migrations."""

from chargeplane.db.engine import Database
from chargeplane.db.migrate import upgrade

__all__ = ["Database", "upgrade"]
