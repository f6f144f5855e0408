"""Table models. Importing this package registers every table on `metadata`."""

from todo_api.models.metadata import metadata
from todo_api.models.task import Task

__all__ = ["Task", "metadata"]
