"""task idempotency key

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HAS_KEY = sa.text("idempotency_key IS NOT NULL")


def upgrade() -> None:
    # Nullable columns without a default: adding them rewrites no row on either database.
    op.add_column("tasks", sa.Column("idempotency_key", sa.String(length=255), nullable=True))
    op.add_column("tasks", sa.Column("request_fingerprint", sa.String(length=64), nullable=True))
    op.create_index(
        "uq_task_user_idempotency_key",
        "tasks",
        ["user_id", "idempotency_key"],
        unique=True,
        postgresql_where=_HAS_KEY,
        sqlite_where=_HAS_KEY,
    )


def downgrade() -> None:
    op.drop_index("uq_task_user_idempotency_key", table_name="tasks")
    # ALTER TABLE ... DROP COLUMN (SQLite 3.35 or newer): no table rebuild on either database.
    op.drop_column("tasks", "request_fingerprint")
    op.drop_column("tasks", "idempotency_key")
