"""Concurrent requests on one user's tasks end in states a serial order could have produced.

The requests really overlap: `asyncio.gather` over the in-process ASGI client, with the app's
connection pool underneath. PostgreSQL runs them in parallel (row locks decide the order);
SQLite serialises writers; on both, no request may fail with a 5xx.
"""

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable

import httpx

from tests.conftest import ALICE

TASKS = f"/api/v1/{ALICE}/tasks"
ClientFor = Callable[[str], httpx.AsyncClient]

TOGGLES = 51
CREATES = 40
KEYED_CREATES = 16
ROUNDS = 8
CONTENDERS = 5
# Seconds the DELETE starts after the PUT (negative: before it), from clearly apart to a dead heat.
HEAD_STARTS = (-0.1, -0.02, -0.005, -0.002, 0.0, 0.0, 0.002, 0.005, 0.02, 0.1)


async def create(client: httpx.AsyncClient, **fields: object) -> httpx.Response:
    response = await client.post(TASKS, json={"title": "Shared task", **fields})
    assert response.status_code == 201, response.text
    return response


async def after(seconds: float, request: Awaitable[httpx.Response]) -> httpx.Response:
    await asyncio.sleep(seconds)
    return await request


def statuses(responses: list[httpx.Response]) -> Counter[int]:
    return Counter(response.status_code for response in responses)


async def test_concurrent_toggles_are_all_applied(client: httpx.AsyncClient) -> None:
    task_id = (await create(client)).json()["id"]

    responses = await asyncio.gather(
        *(client.patch(f"{TASKS}/{task_id}/complete") for _ in range(TOGGLES))
    )

    assert statuses(responses) == {200: TOGGLES}, [
        r.text for r in responses if r.status_code != 200
    ]
    # Each toggle saw a different state: half of them (rounded up) made the task completed.
    seen = Counter(response.json()["is_completed"] for response in responses)
    assert seen == {True: (TOGGLES + 1) // 2, False: TOGGLES // 2}
    assert len({response.json()["updated_at"] for response in responses}) == TOGGLES
    final = (await client.get(f"{TASKS}/{task_id}")).json()
    assert final["is_completed"] is (TOGGLES % 2 == 1)


async def test_concurrent_creates_with_one_key_make_one_task(client: httpx.AsyncClient) -> None:
    body, key = {"title": "Once", "description": "sent many times"}, {"Idempotency-Key": "one"}
    responses = await asyncio.gather(
        *(client.post(TASKS, json=body, headers=key) for _ in range(KEYED_CREATES))
    )
    assert statuses(responses) == {201: KEYED_CREATES}, [r.text for r in responses]
    assert len({response.text for response in responses}) == 1  # the same task, byte for byte
    listed = await client.get(TASKS)
    assert listed.json() == [responses[0].json()]


async def test_concurrent_creates_all_persist_exactly(client: httpx.AsyncClient) -> None:
    bodies = [
        {"title": f"Task {n:03d}", "description": f"details of {n} ✓", "is_completed": n % 3 == 0}
        for n in range(CREATES)
    ]

    responses = await asyncio.gather(*(client.post(TASKS, json=body) for body in bodies))

    assert statuses(responses) == {201: CREATES}, [
        r.text for r in responses if r.status_code != 201
    ]
    created = {response.json()["id"]: response.json() for response in responses}
    assert len(created) == CREATES
    listed = await client.get(TASKS)
    assert listed.headers["x-total-count"] == str(CREATES)
    assert {task["id"]: task for task in listed.json()} == created
    fields = ("title", "description", "is_completed")
    stored = sorted(tuple(task[field] for field in fields) for task in listed.json())
    assert stored == sorted(tuple(body[field] for field in fields) for body in bodies)


async def test_concurrent_put_and_delete_end_consistently(client: httpx.AsyncClient) -> None:
    new_content = {"title": "Replaced", "description": "by the PUT", "is_completed": True}
    put_statuses: Counter[int] = Counter()
    for head_start in HEAD_STARTS:
        task_id = (await create(client)).json()["id"]
        put, delete = await asyncio.gather(
            after(max(0.0, -head_start), client.put(f"{TASKS}/{task_id}", json=new_content)),
            after(max(0.0, head_start), client.delete(f"{TASKS}/{task_id}")),
        )
        # The DELETE is unconditional: it always succeeds, before or after the PUT.
        assert delete.status_code == 204, delete.text
        assert put.status_code in {200, 404}, put.text
        put_statuses[put.status_code] += 1
        if put.status_code == 200:
            assert {key: put.json()[key] for key in new_content} == new_content
        assert (await client.get(f"{TASKS}/{task_id}")).status_code == 404
    assert set(put_statuses) == {200, 404}, put_statuses


async def test_put_racing_a_conditional_delete_leaves_one_winner(client: httpx.AsyncClient) -> None:
    new_content = {"title": "Replaced", "description": None, "is_completed": True}
    outcomes: Counter[tuple[int, int]] = Counter()
    for head_start in HEAD_STARTS:
        created = await create(client)
        task_id, etag = created.json()["id"], created.headers["etag"]
        put, delete = await asyncio.gather(
            after(max(0.0, -head_start), client.put(f"{TASKS}/{task_id}", json=new_content)),
            after(
                max(0.0, head_start),
                client.delete(f"{TASKS}/{task_id}", headers={"If-Match": etag}),
            ),
        )
        outcomes[(put.status_code, delete.status_code)] += 1
        final = await client.get(f"{TASKS}/{task_id}")
        if delete.status_code == 204:
            assert put.status_code == 404, put.text
            assert final.status_code == 404
        else:
            # The PUT got in first, so the version the DELETE named is gone: 412, task kept.
            assert (put.status_code, delete.status_code) == (200, 412), (put.text, delete.text)
            assert final.status_code == 200
            assert final.json() == put.json()
    assert set(outcomes) == {(404, 204), (200, 412)}, outcomes


async def test_same_if_match_lets_exactly_one_writer_win(client: httpx.AsyncClient) -> None:
    for round_number in range(ROUNDS):
        created = await create(client)
        task_id, etag = created.json()["id"], created.headers["etag"]
        bodies = [
            {
                "title": f"Writer {n} of round {round_number}",
                "description": None,
                "is_completed": False,
            }
            for n in range(CONTENDERS)
        ]

        responses = await asyncio.gather(
            *(
                client.put(f"{TASKS}/{task_id}", json=body, headers={"If-Match": etag})
                for body in bodies
            )
        )

        assert statuses(responses) == {200: 1, 412: CONTENDERS - 1}, [r.text for r in responses]
        winner = next(response for response in responses if response.status_code == 200)
        for loser in (response for response in responses if response.status_code == 412):
            assert loser.json()["code"] == "PRECONDITION_FAILED"
        final = await client.get(f"{TASKS}/{task_id}")
        assert final.json() == winner.json()
        assert final.headers["etag"] == winner.headers["etag"] != etag


async def test_two_puts_with_one_if_match_one_wins_one_is_412(client: httpx.AsyncClient) -> None:
    created = await create(client)
    task_id, etag = created.json()["id"], created.headers["etag"]
    first, second = await asyncio.gather(
        *(
            client.put(
                f"{TASKS}/{task_id}",
                json={"title": title, "description": None, "is_completed": False},
                headers={"If-Match": etag},
            )
            for title in ("first", "second")
        )
    )
    assert sorted([first.status_code, second.status_code]) == [200, 412]
