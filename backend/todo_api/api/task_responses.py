"""Task bodies as HTTP responses, serialized once: returning a model would make FastAPI
validate again what the service built. The schema for the docs is `success_response`'s."""

from fastapi import Response

from todo_api.api.etag import etag_for
from todo_api.schemas.task import TASK_LIST, TaskPublic
from todo_api.services.task_service import TaskPage

JSON_MEDIA_TYPE = "application/json"


def task_response(task: TaskPublic, *, status_code: int = 200, location: str = "") -> Response:
    headers = {"ETag": etag_for(task.updated_at)}
    if location:
        headers["Location"] = location
    body = task.__pydantic_serializer__.to_json(task)
    return Response(body, status_code=status_code, headers=headers, media_type=JSON_MEDIA_TYPE)


def task_page_response(page: TaskPage) -> Response:
    return Response(
        TASK_LIST.dump_json(page.items),
        headers={"X-Total-Count": str(page.total)},
        media_type=JSON_MEDIA_TYPE,
    )
