"""Each task operation costs one database round trip on PostgreSQL.

Across a network (Neon is 1-80 ms away) round trips are the cost that counts, so they are
counted where the network would see them: a proxy between the app and PostgreSQL counts
every client burst that follows an answer from the server.
"""

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from sqlalchemy.engine import make_url

from tests.conftest import ALICE, STALE_TAG, make_settings, serving
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.postgres_admin import migrate, with_host_and_port
from tests.support.tcp_proxy import TcpProxy

TASKS = f"/api/v1/{ALICE}/tasks"
FULL_PAGE = 3  # tasks of the user beyond the page size, so the page alone cannot tell the total


@dataclass
class Counted:
    proxy: TcpProxy
    client: httpx.AsyncClient

    async def round_trips_of(self, request: Awaitable[httpx.Response]) -> tuple[int, int]:
        """(status, round trips) of one request."""
        before = self.proxy.round_trips
        response = await request
        return response.status_code, self.proxy.round_trips - before


@pytest.fixture
async def counted() -> AsyncIterator[Counted]:
    with fresh_postgres_database_or_skip() as url:
        await migrate(url)
        server = make_url(url)
        async with TcpProxy(server.host or "127.0.0.1", server.port or 5432) as proxy:
            through_proxy = with_host_and_port(url, "127.0.0.1", proxy.port)
            async with serving(make_settings(through_proxy)) as (_, client):
                for n in range(FULL_PAGE + 1):
                    response = await client.post(TASKS, json={"title": f"task {n}"})
                    assert response.status_code == 201
                yield Counted(proxy, client)


async def first_task(client: httpx.AsyncClient) -> str:
    """The newest task's id (the request also warms the pool: no connect is counted)."""
    response = await client.get(TASKS, params={"limit": 1})
    task_id: str = response.json()[0]["id"]
    return task_id


def new_idempotency_key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


Operation = Callable[[httpx.AsyncClient, str], Awaitable[httpx.Response]]
OPERATIONS: dict[str, tuple[Operation, int]] = {
    "create": (lambda c, _: c.post(TASKS, json={"title": "one more"}), 201),
    "create with an Idempotency-Key": (
        lambda c, _: c.post(TASKS, json={"title": "one more"}, headers=new_idempotency_key()),
        201,
    ),
    "get": (lambda c, task: c.get(f"{TASKS}/{task}"), 200),
    "list, full page with its total": (lambda c, _: c.get(TASKS, params={"limit": 2}), 200),
    "list, everything": (lambda c, _: c.get(TASKS), 200),
    "list, filtered": (lambda c, _: c.get(TASKS, params={"completed": "false"}), 200),
    "replace": (
        lambda c, task: c.put(
            f"{TASKS}/{task}", json={"title": "new", "description": None, "is_completed": True}
        ),
        200,
    ),
    "toggle": (lambda c, task: c.patch(f"{TASKS}/{task}/complete"), 200),
    "delete": (lambda c, task: c.delete(f"{TASKS}/{task}"), 204),
}


@pytest.mark.parametrize("name", OPERATIONS)
async def test_a_successful_operation_is_one_round_trip(counted: Counted, name: str) -> None:
    operation, expected_status = OPERATIONS[name]
    task_id = await first_task(counted.client)
    status, round_trips = await counted.round_trips_of(operation(counted.client, task_id))
    assert (status, round_trips) == (expected_status, 1)


async def test_the_total_of_a_full_page_is_in_the_same_statement(counted: Counted) -> None:
    await first_task(counted.client)
    before = counted.proxy.round_trips
    response = await counted.client.get(TASKS, params={"limit": 2})
    assert counted.proxy.round_trips - before == 1
    assert (len(response.json()), response.headers["X-Total-Count"]) == (2, str(FULL_PAGE + 1))


async def test_a_page_past_the_end_asks_for_the_total_separately(counted: Counted) -> None:
    await first_task(counted.client)
    status, round_trips = await counted.round_trips_of(
        counted.client.get(TASKS, params={"offset": 100})
    )
    assert (status, round_trips) == (200, 2)


async def test_a_stale_conditional_write_takes_a_second_look(counted: Counted) -> None:
    task_id = await first_task(counted.client)
    status, round_trips = await counted.round_trips_of(
        counted.client.delete(f"{TASKS}/{task_id}", headers={"If-Match": STALE_TAG})
    )
    assert (status, round_trips) == (412, 2)  # the write matched nothing: gone, or changed?


async def test_a_repeated_create_takes_a_second_look(counted: Counted) -> None:
    await first_task(counted.client)
    key = new_idempotency_key()
    await counted.client.post(TASKS, json={"title": "once"}, headers=key)
    status, round_trips = await counted.round_trips_of(
        counted.client.post(TASKS, json={"title": "once"}, headers=key)
    )
    assert (status, round_trips) == (201, 2)  # the insert did nothing: whose key is it?


async def test_a_conditional_toggle_is_one_round_trip(counted: Counted) -> None:
    task_id = await first_task(counted.client)
    etag = (await counted.client.get(f"{TASKS}/{task_id}")).headers["etag"]
    status, round_trips = await counted.round_trips_of(
        counted.client.patch(f"{TASKS}/{task_id}/complete", headers={"If-Match": etag})
    )
    assert (status, round_trips) == (200, 1)
