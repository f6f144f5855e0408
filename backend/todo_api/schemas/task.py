"""Request and response bodies of the task endpoints (Base / Create / Update / Public)."""

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter

from todo_api.schemas.text import Description, Title


class TaskBase(BaseModel):
    # Unknown fields are an error, not silently dropped: a typo must not look like success.
    model_config = ConfigDict(extra="forbid")

    title: Title = Field(examples=["Buy milk"])


class TaskCreate(TaskBase):
    description: Description | None = Field(default=None, examples=["2 litres, semi-skimmed"])
    is_completed: StrictBool = False


class TaskUpdate(TaskBase):
    """Full replacement: every field must be sent, so nothing is reset by omission."""

    description: Description | None = Field(
        description="Send null to clear it.", examples=["2 litres, semi-skimmed"]
    )
    is_completed: StrictBool


class TaskPublic(BaseModel):
    id: uuid.UUID
    user_id: str
    title: str
    description: str | None
    is_completed: bool
    created_at: datetime = Field(description="UTC, ISO 8601.")
    updated_at: datetime = Field(description="UTC, ISO 8601.")


# A page of tasks, validated (repositories) and serialized (api) by one adapter.
TASK_LIST = TypeAdapter(list[TaskPublic])
