"""The task endpoints: parse the request, call TaskService, shape the response."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response, status

from todo_api.api.deps import TaskIdPath, TaskServiceDep
from todo_api.api.etag import IfMatch
from todo_api.api.head_first_route import HeadFirstRoute
from todo_api.api.idempotency_key import IdempotencyKey
from todo_api.api.query_values import DECIMAL_DIGITS, TRUE_OR_FALSE
from todo_api.api.responses import problem_responses, success_response
from todo_api.api.task_responses import task_page_response, task_response
from todo_api.schemas.task import TaskCreate, TaskPublic, TaskUpdate

MAX_PAGE_SIZE = 1000

# The route class checks the path user's token before the request is read: no handler can
# forget it.
router = APIRouter(
    prefix="/{user_id}/tasks",
    tags=["tasks"],
    route_class=HeadFirstRoute,
    responses=problem_responses(401, 403, 500, 503),
)


@router.get(
    "",
    summary="List the user's tasks, newest first",
    responses=success_response(200, list[TaskPublic], "X-Total-Count") | problem_responses(400),
)
async def list_tasks(
    service: TaskServiceDep,
    completed: Annotated[
        bool | None,
        Query(description="Only completed (true) or open (false) tasks."),
        TRUE_OR_FALSE,
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE), DECIMAL_DIGITS] = MAX_PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1), DECIMAL_DIGITS] = 0,
) -> Response:
    page = await service.list_tasks(completed=completed, limit=limit, offset=offset)
    return task_page_response(page)


@router.post(
    "",
    summary="Create a task",
    status_code=status.HTTP_201_CREATED,
    responses=success_response(201, TaskPublic, "Location", "ETag")
    | problem_responses(400, 409, 413, 415, 422),
)
async def create_task(
    service: TaskServiceDep, body: TaskCreate, idempotency_key: IdempotencyKey, request: Request
) -> Response:
    task = await service.create_task(body, idempotency_key=idempotency_key)
    location = f"{request.url.path.rstrip('/')}/{task.id}"
    return task_response(task, status_code=status.HTTP_201_CREATED, location=location)


@router.get(
    "/{task_id}",
    summary="Get one task",
    responses=success_response(200, TaskPublic, "ETag") | problem_responses(400, 404),
)
async def get_task(service: TaskServiceDep, task_id: TaskIdPath) -> Response:
    return task_response(await service.get_task(task_id))


@router.put(
    "/{task_id}",
    summary="Replace a task (every field required)",
    responses=success_response(200, TaskPublic, "ETag")
    | problem_responses(400, 404, 412, 413, 415, 422),
)
async def replace_task(
    service: TaskServiceDep, task_id: TaskIdPath, body: TaskUpdate, if_match: IfMatch
) -> Response:
    task = await service.replace_task(task_id, body, if_match=if_match)
    return task_response(task)


@router.delete(
    "/{task_id}",
    summary="Delete a task",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(400, 404, 412),
)
async def delete_task(service: TaskServiceDep, task_id: TaskIdPath, if_match: IfMatch) -> None:
    await service.delete_task(task_id, if_match=if_match)


@router.patch(
    "/{task_id}/complete",
    summary="Flip the task's completion (atomic toggle)",
    responses=success_response(200, TaskPublic, "ETag") | problem_responses(400, 404, 412),
)
async def toggle_task_completion(
    service: TaskServiceDep, task_id: TaskIdPath, if_match: IfMatch
) -> Response:
    task = await service.toggle_completion(task_id, if_match=if_match)
    return task_response(task)
