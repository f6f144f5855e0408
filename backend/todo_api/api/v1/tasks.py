"""The task endpoints: parse the request, call TaskService, shape the response."""

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status

from todo_api.api.authenticated_route import AuthenticatedRoute
from todo_api.api.deps import TaskIdPath, TaskServiceDep, require_json_body
from todo_api.api.etag import IF_MATCH_HEADER
from todo_api.api.idempotency_key import IDEMPOTENCY_KEY_HEADER
from todo_api.api.query_values import DECIMAL_DIGITS, TRUE_OR_FALSE
from todo_api.api.responses import problem_responses, success_headers
from todo_api.api.task_responses import task_page_response, task_response
from todo_api.schemas.task import TaskCreate, TaskPublic, TaskUpdate

MAX_PAGE_SIZE = 1000

# Every operation requires the path user's token, checked by the route class before the
# request is read: no handler can forget it. The route class also parses the headers a route
# declares in `openapi_extra` (If-Match, Idempotency-Key) and leaves them on `request.state`.
router = APIRouter(
    prefix="/{user_id}/tasks",
    tags=["tasks"],
    route_class=AuthenticatedRoute,
    responses=problem_responses(401, 403, 500, 503),
)


@router.get(
    "",
    summary="List the user's tasks, newest first",
    response_model=list[TaskPublic],
    responses=success_headers(200, "X-Total-Count") | problem_responses(400),
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
    response_model=TaskPublic,
    dependencies=[Depends(require_json_body)],
    responses=success_headers(201, "Location", "ETag") | problem_responses(400, 409, 413, 415, 422),
    openapi_extra={"parameters": [IDEMPOTENCY_KEY_HEADER]},
)
async def create_task(service: TaskServiceDep, body: TaskCreate, request: Request) -> Response:
    task = await service.create_task(body, idempotency_key=request.state.idempotency_key)
    location = f"{request.url.path.rstrip('/')}/{task.id}"
    return task_response(task, status_code=status.HTTP_201_CREATED, location=location)


@router.get(
    "/{task_id}",
    summary="Get one task",
    response_model=TaskPublic,
    responses=success_headers(200, "ETag") | problem_responses(400, 404),
)
async def get_task(service: TaskServiceDep, task_id: TaskIdPath) -> Response:
    return task_response(await service.get_task(task_id))


@router.put(
    "/{task_id}",
    summary="Replace a task (every field required)",
    response_model=TaskPublic,
    dependencies=[Depends(require_json_body)],
    responses=success_headers(200, "ETag") | problem_responses(400, 404, 412, 413, 415, 422),
    openapi_extra={"parameters": [IF_MATCH_HEADER]},
)
async def replace_task(
    service: TaskServiceDep, task_id: TaskIdPath, body: TaskUpdate, request: Request
) -> Response:
    task = await service.replace_task(task_id, body, if_match=request.state.if_match)
    return task_response(task)


@router.delete(
    "/{task_id}",
    summary="Delete a task",
    status_code=status.HTTP_204_NO_CONTENT,
    response_class=Response,
    responses=problem_responses(400, 404, 412),
    openapi_extra={"parameters": [IF_MATCH_HEADER]},
)
async def delete_task(service: TaskServiceDep, task_id: TaskIdPath, request: Request) -> None:
    await service.delete_task(task_id, if_match=request.state.if_match)


@router.patch(
    "/{task_id}/complete",
    summary="Flip the task's completion (atomic toggle)",
    response_model=TaskPublic,
    responses=success_headers(200, "ETag") | problem_responses(400, 404, 412),
    openapi_extra={"parameters": [IF_MATCH_HEADER]},
)
async def toggle_task_completion(
    service: TaskServiceDep, task_id: TaskIdPath, request: Request
) -> Response:
    task = await service.toggle_completion(task_id, if_match=request.state.if_match)
    return task_response(task)
