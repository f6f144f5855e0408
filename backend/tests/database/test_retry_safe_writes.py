"""Writes a client may repeat (issue 16): creates with an Idempotency-Key, conditional toggles,
and the ETag a client reads off a task. Through HTTP against the ASGI app, on every database."""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.conftest import ALICE, BOB, STALE_TAG
from tests.database.test_tasks_api import assert_problem
from todo_api.errors import IdempotencyKeyInUse
from todo_api.services.task_service import TaskService

TASKS = f"/api/v1/{ALICE}/tasks"
ClientFor = Callable[[str], httpx.AsyncClient]
BODY = {"title": "Buy milk", "description": "2 litres"}
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def keyed(key: str) -> dict[str, str]:
    return {"Idempotency-Key": key}


async def titles(client: httpx.AsyncClient, path: str = TASKS) -> list[str]:
    response = await client.get(path)
    assert response.status_code == 200
    return [task["title"] for task in response.json()]


class TestIdempotentCreate:
    async def test_a_repeat_answers_the_same_task_without_writing(
        self, client: httpx.AsyncClient
    ) -> None:
        key = str(uuid.uuid4())
        first = await client.post(TASKS, json=BODY, headers=keyed(key))
        repeat = await client.post(TASKS, json=BODY, headers=keyed(key))
        assert (first.status_code, repeat.status_code) == (201, 201)
        assert repeat.json() == first.json()
        for header in ("etag", "location"):
            assert repeat.headers[header] == first.headers[header]
        assert await titles(client) == ["Buy milk"]

    async def test_the_same_task_in_other_bytes_is_the_same_request(
        self, client: httpx.AsyncClient
    ) -> None:
        # The fingerprint is of the task the body describes: spacing, key order, a default
        # spelled out and white space that the title is trimmed of make no other request.
        first = await client.post(TASKS, json={"title": "Tea"}, headers=keyed("k-1"))
        again = await client.post(
            TASKS,
            content=b'{ "is_completed": false, "description": null, "title": "  Tea " }',
            headers={**keyed("k-1"), "Content-Type": "application/json"},
        )
        assert (first.status_code, again.status_code) == (201, 201)
        assert again.json() == first.json()

    async def test_the_same_key_with_another_body_is_422_and_writes_nothing(
        self, client: httpx.AsyncClient
    ) -> None:
        first = await client.post(TASKS, json=BODY, headers=keyed("k-2"))
        other = await client.post(TASKS, json={**BODY, "is_completed": True}, headers=keyed("k-2"))
        assert_problem(other, 422, "IDEMPOTENCY_KEY_REUSED")
        listed = (await client.get(TASKS)).json()
        assert listed == [first.json()]

    async def test_keys_belong_to_one_user(self, client_for: ClientFor) -> None:
        alice, bob = client_for(ALICE), client_for(BOB)
        bob_tasks = f"/api/v1/{BOB}/tasks"
        mine = await alice.post(TASKS, json=BODY, headers=keyed("shared-key"))
        theirs = await bob.post(bob_tasks, json={"title": "Bob's own"}, headers=keyed("shared-key"))
        assert (mine.status_code, theirs.status_code) == (201, 201)
        assert mine.json()["id"] != theirs.json()["id"]
        assert (await titles(alice), await titles(bob, bob_tasks)) == (["Buy milk"], ["Bob's own"])

    async def test_without_a_key_every_create_writes(self, client: httpx.AsyncClient) -> None:
        for _ in range(2):
            assert (await client.post(TASKS, json=BODY)).status_code == 201
        assert await titles(client) == ["Buy milk", "Buy milk"]

    async def test_a_replay_shows_the_task_as_it_is_now(self, client: httpx.AsyncClient) -> None:
        created = (await client.post(TASKS, json=BODY, headers=keyed("k-3"))).json()
        toggled = await client.patch(f"{TASKS}/{created['id']}/complete")
        replay = await client.post(TASKS, json=BODY, headers=keyed("k-3"))
        assert replay.status_code == 201
        assert replay.json() == toggled.json()
        assert replay.headers["etag"] == toggled.headers["etag"]

    async def test_a_key_is_remembered_as_long_as_its_task(self, client: httpx.AsyncClient) -> None:
        created = (await client.post(TASKS, json=BODY, headers=keyed("k-4"))).json()
        assert (await client.delete(f"{TASKS}/{created['id']}")).status_code == 204
        late = await client.post(TASKS, json=BODY, headers=keyed("k-4"))
        assert late.status_code == 201
        assert late.json()["id"] != created["id"]
        assert await titles(client) == ["Buy milk"]

    @pytest.mark.parametrize(
        "key", ["", "k" * 256, "has space", "tab\tinside", "caf\u00e9", "\u00a0nbsp"]
    )
    async def test_a_malformed_key_is_400_and_writes_nothing(
        self, client: httpx.AsyncClient, key: str
    ) -> None:
        response = await client.post(
            TASKS, json=BODY, headers={"Idempotency-Key": key.encode("utf-8")}
        )
        assert_problem(response, 400, "BAD_REQUEST")
        assert await titles(client) == []

    async def test_the_longest_key_and_every_visible_character_are_accepted(
        self, client: httpx.AsyncClient
    ) -> None:
        visible = "".join(chr(code) for code in range(0x21, 0x7F))
        for key in ("k" * 255, visible):
            assert (await client.post(TASKS, json=BODY, headers=keyed(key))).status_code == 201
            assert (await client.post(TASKS, json=BODY, headers=keyed(key))).status_code == 201
        assert len(await titles(client)) == 2

    async def test_a_key_that_cannot_settle_is_409_with_retry_after(
        self, client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        async def in_use(*args: object, **kwargs: object) -> None:
            raise IdempotencyKeyInUse()

        monkeypatch.setattr(TaskService, "create_task", in_use)
        response = await client.post(TASKS, json=BODY, headers=keyed("k-5"))
        assert_problem(response, 409, "IDEMPOTENCY_KEY_IN_USE")
        assert response.headers["retry-after"] == "1"


class TestConditionalToggle:
    async def test_a_toggle_retried_with_the_tag_it_was_sent_with_flips_once(
        self, client: httpx.AsyncClient
    ) -> None:
        created = await client.post(TASKS, json=BODY)
        url, seen = f"{TASKS}/{created.json()['id']}", created.headers["etag"]
        first = await client.patch(f"{url}/complete", headers={"If-Match": seen})
        retried = await client.patch(f"{url}/complete", headers={"If-Match": seen})
        assert first.status_code == 200
        assert first.json()["is_completed"] is True
        assert_problem(retried, 412, "PRECONDITION_FAILED")
        assert (await client.get(url)).json() == first.json()

    async def test_a_stale_tag_is_412_and_no_flip(self, client: httpx.AsyncClient) -> None:
        created = await client.post(TASKS, json=BODY)
        url, stale = f"{TASKS}/{created.json()['id']}", created.headers["etag"]
        replaced = await client.put(url, json={**BODY, "is_completed": False})
        response = await client.patch(f"{url}/complete", headers={"If-Match": stale})
        assert_problem(response, 412, "PRECONDITION_FAILED")
        assert (await client.get(url)).json() == replaced.json()

    async def test_a_missing_task_is_404_with_or_without_a_tag(
        self, client: httpx.AsyncClient
    ) -> None:
        url = f"{TASKS}/{uuid.uuid4()}/complete"
        assert_problem(await client.patch(url, headers={"If-Match": STALE_TAG}), 404, "NOT_FOUND")


class TestEntityTags:
    async def test_the_etag_is_updated_at_in_quotes(self, client: httpx.AsyncClient) -> None:
        created = await client.post(TASKS, json=BODY)
        fetched = await client.get(created.headers["location"])
        for response in (created, fetched):
            assert response.headers["etag"] == f'"{response.json()["updated_at"]}"'

    async def test_a_list_item_is_enough_for_a_conditional_write(
        self, client: httpx.AsyncClient
    ) -> None:
        await client.post(TASKS, json=BODY)
        item = (await client.get(TASKS)).json()[0]
        response = await client.put(
            f"{TASKS}/{item['id']}",
            json={**BODY, "is_completed": True},
            headers={"If-Match": f'"{item["updated_at"]}"'},
        )
        assert response.status_code == 200

    async def test_a_tag_of_microseconds_is_a_bad_request(self, client: httpx.AsyncClient) -> None:
        created = (await client.post(TASKS, json=BODY)).json()
        since_epoch = datetime.fromisoformat(created["updated_at"]) - EPOCH
        micros = since_epoch // timedelta(microseconds=1)
        response = await client.patch(
            f"{TASKS}/{created['id']}/complete", headers={"If-Match": f'"{micros}"'}
        )
        assert_problem(response, 400, "BAD_REQUEST")

    async def test_if_match_takes_at_most_32_tags(self, client: httpx.AsyncClient) -> None:
        created = await client.post(TASKS, json=BODY)
        url = f"{TASKS}/{created.json()['id']}"
        stale = [f'"2001-01-01T00:00:{n:02}Z"' for n in range(1, 32)]
        allowed = await client.delete(
            url, headers={"If-Match": ", ".join([*stale, '"2001-01-01T00:00:32Z"'])}
        )
        assert_problem(allowed, 412, "PRECONDITION_FAILED")
        current = ", ".join([*stale, created.headers["etag"]])
        too_many = await client.delete(
            url, headers={"If-Match": f'"2001-01-01T00:00:00Z", {current}'}
        )
        body = assert_problem(too_many, 400, "BAD_REQUEST")
        assert "32" in str(body["detail"])
        assert (await client.delete(url, headers={"If-Match": current})).status_code == 204

    async def test_a_flood_of_tags_is_400_not_an_outage(self, client: httpx.AsyncClient) -> None:
        created = await client.post(TASKS, json=BODY)
        flood = ", ".join(f'"{n}"' for n in range(70_000))
        response = await client.patch(
            f"{TASKS}/{created.json()['id']}/complete", headers={"If-Match": flood}
        )
        assert_problem(response, 400, "BAD_REQUEST")
        assert (await client.get(TASKS)).status_code == 200
