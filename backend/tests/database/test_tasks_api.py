"""Every task endpoint and status code, through HTTP against the ASGI app, on both databases."""

import uuid
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import ALICE, BOB, STALE_TAG

TASKS = f"/api/v1/{ALICE}/tasks"
ClientFor = Callable[[str], httpx.AsyncClient]


async def create(
    client: httpx.AsyncClient, title: str = "Buy milk", **fields: object
) -> dict[str, object]:
    response = await client.post(TASKS, json={"title": title, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, object] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert body["request_id"] == response.headers["x-request-id"]
    return body


class TestCreate:
    async def test_returns_201_with_the_task_and_its_location(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.post(
            TASKS, json={"title": "  Buy milk  ", "description": "2 litres"}
        )
        assert response.status_code == 201
        task = response.json()
        assert task["title"] == "Buy milk"  # trimmed
        assert task["description"] == "2 litres"
        assert task["is_completed"] is False
        assert task["user_id"] == ALICE
        uuid.UUID(task["id"])
        assert task["created_at"] == task["updated_at"]
        assert task["created_at"].endswith("Z")
        assert response.headers["location"] == f"{TASKS}/{task['id']}"
        fetched = await client.get(response.headers["location"])
        assert fetched.json() == task

    async def test_description_and_completion_are_optional(self, client: httpx.AsyncClient) -> None:
        task = await create(client, "Only a title")
        assert task["description"] is None
        assert task["is_completed"] is False

    @pytest.mark.parametrize(
        ("body", "bad_field"),
        [
            ({}, "body.title"),
            ({"title": ""}, "body.title"),
            ({"title": "   "}, "body.title"),
            ({"title": "x" * 256}, "body.title"),
            ({"title": 5}, "body.title"),
            ({"title": "a\x00b"}, "body.title"),
            ({"title": "ok", "description": "d" * 2001}, "body.description"),
            ({"title": "ok", "description": "nul\x00"}, "body.description"),
            ({"title": "ok", "is_completed": "yes"}, "body.is_completed"),
            ({"title": "ok", "owner": "someone"}, "body.owner"),
        ],
    )
    async def test_invalid_body_is_422(
        self, client: httpx.AsyncClient, body: dict[str, object], bad_field: str
    ) -> None:
        problem = assert_problem(await client.post(TASKS, json=body), 422, "VALIDATION_ERROR")
        assert bad_field in [error["loc"] for error in problem["errors"]]  # type: ignore[union-attr,index]
        assert (await client.get(TASKS)).json() == []

    async def test_title_of_exactly_255_characters_is_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        task = await create(client, "x" * 255, description="d" * 2000)
        assert len(str(task["title"])) == 255

    async def test_lone_surrogate_is_422_not_500(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            TASKS,
            content=b'{"title": "bad \\ud800 text"}',
            headers={"content-type": "application/json"},
        )
        assert_problem(response, 422, "VALIDATION_ERROR")

    async def test_malformed_json_is_400(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            TASKS, content=b'{"title": ', headers={"content-type": "application/json"}
        )
        assert_problem(response, 400, "BAD_REQUEST")

    async def test_non_json_content_type_is_415(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            TASKS, content=b"title=x", headers={"content-type": "text/plain"}
        )
        assert_problem(response, 415, "UNSUPPORTED_MEDIA_TYPE")
        assert (await client.get(TASKS)).json() == []

    async def test_body_without_content_type_is_415(self, client: httpx.AsyncClient) -> None:
        response = await client.post(TASKS, content=b'{"title": "curl -d"}')
        assert_problem(response, 415, "UNSUPPORTED_MEDIA_TYPE")

    async def test_body_over_the_limit_is_413(self, client: httpx.AsyncClient) -> None:
        body = b'{"title": "' + b"x" * 70_000 + b'"}'
        response = await client.post(
            TASKS, content=body, headers={"content-type": "application/json"}
        )
        assert_problem(response, 413, "PAYLOAD_TOO_LARGE")

    async def test_chunked_body_over_the_limit_is_413(self, client: httpx.AsyncClient) -> None:
        async def chunks():  # type: ignore[no-untyped-def]
            yield b'{"title": "'
            for _ in range(20):
                yield b"x" * 8192
            yield b'"}'

        response = await client.post(
            TASKS, content=chunks(), headers={"content-type": "application/json"}
        )
        assert_problem(response, 413, "PAYLOAD_TOO_LARGE")

    async def test_deeply_nested_json_is_refused_with_4xx(self, client: httpx.AsyncClient) -> None:
        body = b'{"title": "x", "description": ' + b"[" * 30_000 + b"]" * 30_000 + b"}"
        response = await client.post(
            TASKS, content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code in {400, 422}
        assert response.headers["content-type"] == "application/problem+json"


class TestList:
    async def test_empty_list_is_an_empty_array(self, client: httpx.AsyncClient) -> None:
        response = await client.get(TASKS)
        assert response.status_code == 200
        assert response.json() == []
        assert response.headers["x-total-count"] == "0"

    async def test_newest_first_with_total_count(self, client: httpx.AsyncClient) -> None:
        titles = [f"task {n}" for n in range(5)]
        for title in titles:
            await create(client, title)
        response = await client.get(TASKS)
        assert [task["title"] for task in response.json()] == list(reversed(titles))
        assert response.headers["x-total-count"] == "5"

    async def test_limit_and_offset_page_through_with_the_full_total(
        self, client: httpx.AsyncClient
    ) -> None:
        for n in range(5):
            await create(client, f"task {n}")
        first = await client.get(TASKS, params={"limit": 2})
        second = await client.get(TASKS, params={"limit": 2, "offset": 2})
        last = await client.get(TASKS, params={"limit": 2, "offset": 4})
        beyond = await client.get(TASKS, params={"limit": 2, "offset": 10})
        assert [t["title"] for t in first.json()] == ["task 4", "task 3"]
        assert [t["title"] for t in second.json()] == ["task 2", "task 1"]
        assert [t["title"] for t in last.json()] == ["task 0"]
        assert beyond.json() == []
        for response in (first, second, last, beyond):
            assert response.headers["x-total-count"] == "5"

    async def test_completed_filter(self, client: httpx.AsyncClient) -> None:
        done = await create(client, "done", is_completed=True)
        await create(client, "open")
        completed = await client.get(TASKS, params={"completed": "true"})
        still_open = await client.get(TASKS, params={"completed": "false"})
        assert [t["id"] for t in completed.json()] == [done["id"]]
        assert completed.headers["x-total-count"] == "1"
        assert [t["title"] for t in still_open.json()] == ["open"]

    @pytest.mark.parametrize(
        "query",
        [
            "limit=0",
            "limit=1001",
            "limit=abc",
            "offset=-1",
            "completed=maybe",
            "limit=99999999999999999999999999",
            "offset=99999999999999999999",
        ],
    )
    async def test_bad_query_values_are_400(self, client: httpx.AsyncClient, query: str) -> None:
        assert_problem(await client.get(f"{TASKS}?{query}"), 400, "BAD_REQUEST")

    async def test_users_see_only_their_own_tasks(self, client_for: ClientFor) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        await create(alice, "alice's")
        response = await bob.post(f"/api/v1/{BOB}/tasks", json={"title": "bob's"})
        assert response.status_code == 201
        assert [t["title"] for t in (await alice.get(TASKS)).json()] == ["alice's"]
        assert [t["title"] for t in (await bob.get(f"/api/v1/{BOB}/tasks")).json()] == ["bob's"]


class TestGet:
    async def test_returns_the_task_with_an_etag(self, client: httpx.AsyncClient) -> None:
        task = await create(client)
        response = await client.get(f"{TASKS}/{task['id']}")
        assert response.status_code == 200
        assert response.json() == task
        assert response.headers["etag"].startswith('"')

    async def test_missing_task_is_404(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(f"{TASKS}/{uuid.uuid4()}"), 404, "NOT_FOUND")

    async def test_malformed_task_id_is_400(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.get(f"{TASKS}/not-a-uuid"), 400, "BAD_REQUEST")

    async def test_another_users_task_is_404_exactly_like_a_missing_one(
        self, client_for: ClientFor
    ) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        task = await create(alice)
        theirs = await bob.get(f"/api/v1/{BOB}/tasks/{task['id']}")
        missing = await bob.get(f"/api/v1/{BOB}/tasks/{uuid.uuid4()}")
        strip = lambda r: {k: v for k, v in r.json().items() if k != "request_id"}  # noqa: E731
        assert_problem(theirs, 404, "NOT_FOUND")
        assert strip(theirs) == strip(missing)


class TestReplace:
    async def test_replaces_every_field(self, client: httpx.AsyncClient) -> None:
        task = await create(client, "old", description="old description")
        response = await client.put(
            f"{TASKS}/{task['id']}",
            json={"title": " new ", "description": None, "is_completed": True},
        )
        assert response.status_code == 200
        replaced = response.json()
        assert (replaced["title"], replaced["description"], replaced["is_completed"]) == (
            "new",
            None,
            True,
        )
        assert replaced["created_at"] == task["created_at"]
        assert replaced["updated_at"] > task["updated_at"]
        assert (await client.get(f"{TASKS}/{task['id']}")).json() == replaced

    @pytest.mark.parametrize(
        "body",
        [
            {"title": "x", "description": None},
            {"title": "x", "is_completed": True},
            {"description": None, "is_completed": True},
            {"title": "x", "description": None, "is_completed": True, "extra": 1},
        ],
    )
    async def test_missing_or_unknown_fields_are_422_and_change_nothing(
        self, client: httpx.AsyncClient, body: dict[str, object]
    ) -> None:
        task = await create(client, "keep", description="keep me")
        assert_problem(
            await client.put(f"{TASKS}/{task['id']}", json=body), 422, "VALIDATION_ERROR"
        )
        assert (await client.get(f"{TASKS}/{task['id']}")).json() == task

    async def test_missing_task_is_404(self, client: httpx.AsyncClient) -> None:
        body = {"title": "x", "description": None, "is_completed": False}
        assert_problem(await client.put(f"{TASKS}/{uuid.uuid4()}", json=body), 404, "NOT_FOUND")

    async def test_another_users_task_is_404_and_unchanged(self, client_for: ClientFor) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        task = await create(alice, "mine")
        body = {"title": "hijacked", "description": None, "is_completed": True}
        assert_problem(
            await bob.put(f"/api/v1/{BOB}/tasks/{task['id']}", json=body), 404, "NOT_FOUND"
        )
        assert (await alice.get(f"{TASKS}/{task['id']}")).json()["title"] == "mine"


class TestConditionalWrites:
    async def test_put_with_current_etag_succeeds_and_returns_a_new_etag(
        self, client: httpx.AsyncClient
    ) -> None:
        task = await create(client)
        etag = (await client.get(f"{TASKS}/{task['id']}")).headers["etag"]
        body = {"title": "v2", "description": None, "is_completed": False}
        response = await client.put(f"{TASKS}/{task['id']}", json=body, headers={"If-Match": etag})
        assert response.status_code == 200
        assert response.headers["etag"] != etag

    async def test_put_with_stale_etag_is_412_and_changes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        task = await create(client, "v1")
        stale = (await client.get(f"{TASKS}/{task['id']}")).headers["etag"]
        toggled = (await client.patch(f"{TASKS}/{task['id']}/complete")).json()
        body = {"title": "lost update", "description": None, "is_completed": False}
        response = await client.put(f"{TASKS}/{task['id']}", json=body, headers={"If-Match": stale})
        assert_problem(response, 412, "PRECONDITION_FAILED")
        assert (await client.get(f"{TASKS}/{task['id']}")).json() == toggled

    async def test_if_match_star_and_lists(self, client: httpx.AsyncClient) -> None:
        task = await create(client)
        etag = (await client.get(f"{TASKS}/{task['id']}")).headers["etag"]
        body = {"title": "v2", "description": None, "is_completed": False}
        star = await client.put(f"{TASKS}/{task['id']}", json=body, headers={"If-Match": "*"})
        assert star.status_code == 200
        etag = star.headers["etag"]
        listed = await client.put(
            f"{TASKS}/{task['id']}",
            json=body,
            headers={"If-Match": f'"2001-01-01T00:00:00Z", {etag}'},
        )
        assert listed.status_code == 200
        weak = await client.put(
            f"{TASKS}/{task['id']}", json=body, headers={"If-Match": f"W/{listed.headers['etag']}"}
        )
        assert_problem(weak, 412, "PRECONDITION_FAILED")

    @pytest.mark.parametrize(
        "header", ["garbage", '"abc"', '"' + "9" * 30 + '"', '"99999999999999999999"']
    )
    async def test_malformed_if_match_is_400(self, client: httpx.AsyncClient, header: str) -> None:
        task = await create(client)
        body = {"title": "v2", "description": None, "is_completed": False}
        response = await client.put(
            f"{TASKS}/{task['id']}", json=body, headers={"If-Match": header}
        )
        assert_problem(response, 400, "BAD_REQUEST")

    async def test_delete_with_stale_etag_is_412_and_keeps_the_task(
        self, client: httpx.AsyncClient
    ) -> None:
        task = await create(client)
        stale = (await client.get(f"{TASKS}/{task['id']}")).headers["etag"]
        await client.patch(f"{TASKS}/{task['id']}/complete")
        response = await client.delete(f"{TASKS}/{task['id']}", headers={"If-Match": stale})
        assert_problem(response, 412, "PRECONDITION_FAILED")
        assert (await client.get(f"{TASKS}/{task['id']}")).status_code == 200

    async def test_conditional_write_on_a_missing_task_is_404(
        self, client: httpx.AsyncClient
    ) -> None:
        response = await client.delete(f"{TASKS}/{uuid.uuid4()}", headers={"If-Match": STALE_TAG})
        assert_problem(response, 404, "NOT_FOUND")


class TestDelete:
    async def test_returns_204_with_an_empty_body_and_the_task_is_gone(
        self, client: httpx.AsyncClient
    ) -> None:
        task = await create(client)
        response = await client.delete(f"{TASKS}/{task['id']}")
        assert response.status_code == 204
        assert response.content == b""
        assert_problem(await client.get(f"{TASKS}/{task['id']}"), 404, "NOT_FOUND")
        assert_problem(await client.delete(f"{TASKS}/{task['id']}"), 404, "NOT_FOUND")

    async def test_another_users_task_is_404_and_survives(self, client_for: ClientFor) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        task = await create(alice)
        assert_problem(await bob.delete(f"/api/v1/{BOB}/tasks/{task['id']}"), 404, "NOT_FOUND")
        assert (await alice.get(f"{TASKS}/{task['id']}")).status_code == 200


class TestToggle:
    async def test_flips_and_flips_back(self, client: httpx.AsyncClient) -> None:
        task = await create(client)
        first = await client.patch(f"{TASKS}/{task['id']}/complete")
        second = await client.patch(f"{TASKS}/{task['id']}/complete")
        assert first.status_code == second.status_code == 200
        assert first.json()["is_completed"] is True
        assert second.json()["is_completed"] is False
        assert first.json()["updated_at"] > task["updated_at"]
        assert first.headers["etag"] != second.headers["etag"]

    async def test_missing_task_is_404(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.patch(f"{TASKS}/{uuid.uuid4()}/complete"), 404, "NOT_FOUND")

    async def test_malformed_id_is_400(self, client: httpx.AsyncClient) -> None:
        assert_problem(await client.patch(f"{TASKS}/123/complete"), 400, "BAD_REQUEST")

    async def test_another_users_task_is_404_and_unchanged(self, client_for: ClientFor) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        task = await create(alice)
        assert_problem(
            await bob.patch(f"/api/v1/{BOB}/tasks/{task['id']}/complete"), 404, "NOT_FOUND"
        )
        assert (await alice.get(f"{TASKS}/{task['id']}")).json()["is_completed"] is False


class TestPathsAndHeaders:
    @pytest.mark.parametrize("user_id", ["has space", "a" * 129, "semi;colon", "dot.ted"])
    async def test_user_id_outside_the_pattern_is_403(
        self, client: httpx.AsyncClient, user_id: str
    ) -> None:
        # It cannot be the caller's own id: refused as another user's path, before validation.
        response = await client.get(f"/api/v1/{user_id}/tasks")
        assert response.status_code == 403
        assert response.json()["code"] == "ACCESS_DENIED"

    async def test_unversioned_paths_serve_the_same_tasks(self, client: httpx.AsyncClient) -> None:
        task = await create(client)
        response = await client.get(f"/api/{ALICE}/tasks/{task['id']}")
        assert response.status_code == 200
        assert response.json() == task
        assert "/api/{user_id}/tasks" not in (await client.get("/openapi.json")).json()["paths"]

    async def test_unknown_route_and_wrong_method_are_problems(
        self, client: httpx.AsyncClient
    ) -> None:
        assert_problem(await client.get("/api/v1/nope"), 404, "NOT_FOUND")
        assert_problem(
            await client.post(f"{TASKS}/{uuid.uuid4()}", json={}), 405, "METHOD_NOT_ALLOWED"
        )

    async def test_safety_headers_and_request_id(self, client: httpx.AsyncClient) -> None:
        response = await client.get(TASKS, headers={"X-Request-ID": "trace-123"})
        assert response.headers["x-request-id"] == "trace-123"
        assert response.headers["cache-control"] == "no-store"
        assert response.headers["x-content-type-options"] == "nosniff"
        generated = await client.get(TASKS, headers={"X-Request-ID": "bad id\twith\x7fjunk"})
        assert generated.headers["x-request-id"] != "bad id\twith\x7fjunk"
        assert len(generated.headers["x-request-id"]) == 32

    async def test_health_probes(self, client: httpx.AsyncClient) -> None:
        assert (await client.get("/health")).json() == {"status": "ok"}
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok"}
