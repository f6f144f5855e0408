"""The `tasks` table: every row belongs to exactly one Better Auth user."""

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, Column, Index, String, false, func, text
from sqlmodel import Field, SQLModel, col

from todo_api.models.metadata import metadata
from todo_api.models.utc_datetime import UTCDateTime

# Better Auth ids are 32 characters of [A-Za-z0-9]; the wider set and the cap keep ids
# from other issuers usable while ruling out anything that could misbehave in a path or a log.
USER_ID_MAX_LENGTH = 128
USER_ID_PATTERN = rf"^[A-Za-z0-9_-]{{1,{USER_ID_MAX_LENGTH}}}$"
USER_ID_RULE = f"1 to {USER_ID_MAX_LENGTH} characters of A-Z, a-z, 0-9, `_` and `-`"
TITLE_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 2000
IDEMPOTENCY_KEY_MAX_LENGTH = 255
# A SHA-256 in hexadecimal.
REQUEST_FINGERPRINT_LENGTH = 64


class Task(SQLModel, table=True):
    metadata = metadata
    __tablename__ = "tasks"
    __table_args__ = (
        # The API trims titles; the constraint keeps blank titles out whoever writes the row.
        CheckConstraint("length(trim(title)) > 0", name="title_not_blank"),
        CheckConstraint(
            f"length(user_id) BETWEEN 1 AND {USER_ID_MAX_LENGTH}", name="user_id_length"
        ),
    )

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: str = Field(sa_column=Column(String(USER_ID_MAX_LENGTH), nullable=False))
    title: str = Field(sa_column=Column(String(TITLE_MAX_LENGTH), nullable=False))
    description: str | None = Field(
        default=None, sa_column=Column(String(DESCRIPTION_MAX_LENGTH), nullable=True)
    )
    is_completed: bool = Field(default=False, sa_column_kwargs={"server_default": false()})
    created_at: datetime = Field(
        sa_column=Column(UTCDateTime(), nullable=False, server_default=func.now())
    )
    updated_at: datetime = Field(
        sa_column=Column(UTCDateTime(), nullable=False, server_default=func.now())
    )
    # Set only by a create that carried an Idempotency-Key: the key, and a fingerprint of
    # the request that created the task, so a retry with another body can be told apart.
    idempotency_key: str | None = Field(
        default=None, sa_column=Column(String(IDEMPOTENCY_KEY_MAX_LENGTH), nullable=True)
    )
    request_fingerprint: str | None = Field(
        default=None, sa_column=Column(String(REQUEST_FINGERPRINT_LENGTH), nullable=True)
    )


# Serves every per-user query: the newest-first list, its count, and lookups by id; a separate
# index on user_id alone would only duplicate its leading column.
Index("idx_task_user_created", col(Task.user_id), col(Task.created_at).desc(), col(Task.id))

# A key names one task per user. Partial: rows created without a key (NULL) are not in it,
# so a create without a key pays nothing for it.
HAS_IDEMPOTENCY_KEY = text("idempotency_key IS NOT NULL")
Index(
    "uq_task_user_idempotency_key",
    col(Task.user_id),
    col(Task.idempotency_key),
    unique=True,
    postgresql_where=HAS_IDEMPOTENCY_KEY,
    sqlite_where=HAS_IDEMPOTENCY_KEY,
)
