"""A bounded mixed load against a real `todo-api serve` on PostgreSQL loses no acknowledged write.

32 clients send 3,000 requests (all six operations) at the tasks of 4 users, sharing each
user's tasks, so toggles and deletes race on the same rows. Some writes are retried as a
client whose answer was lost retries them (issue 16): a create with an Idempotency-Key is
sent twice at once, and must make one task that both answers name; a toggle is sent with the
ETag its client read and then again with the same tag, and must flip at most once (the
retry is 412 when the first flipped it). Every answer is recorded;
afterwards the database must agree with them exactly: each 201 task holds the content sent
(or of its last 200 PUT, which only its creator sends), flipped once per 200 toggle; each
204 task is gone; nothing answered 5xx. During the load a GET may return any content the
task was given, since it can race another client's PUT. It runs against PostgreSQL directly
and through PgBouncer in transaction mode with 2 server connections (Neon's pooled endpoint).
"""

import asyncio
import random
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET, token_for
from tests.support.api_process import running_api, server_environment
from tests.support.databases import fresh_postgres_database_or_skip
from tests.support.pgbouncer import PgBouncer
from tests.support.postgres_admin import migrate_blocking, with_host_and_port

pytestmark = pytest.mark.slow

USERS = ("load_user_a", "load_user_b", "load_user_c", "load_user_d")
CLIENTS = 32
REQUESTS = 3000
SEED = 20251122
MAX_LOAD_SECONDS = 120.0
KEEPALIVE_SECONDS = 2.0
# Weights of the operations.
MIX = (
    ("create", 25),
    ("retried create", 5),
    ("toggle", 15),
    ("retried toggle", 5),
    ("get", 15),
    ("put", 10),
    ("list", 10),
    ("delete", 15),
)


@dataclass
class Tracked:
    sent: dict[str, object]
    creator: int
    # Every (title, description) the task may hold while the load runs: a GET from another
    # client can read a PUT's content before or after that PUT's answer reaches its sender.
    contents: list[tuple[object, object]] = field(default_factory=list)
    toggles: int = 0
    # A PUT sets is_completed outright, racing other clients' toggles: parity is unknown.
    replaced: bool = False
    deleted_by: int = 0  # how many DELETEs answered 204: must end as 0 or 1
    not_found_seen: bool = False


@dataclass
class Ledger:
    tasks: dict[str, dict[str, Tracked]] = field(
        default_factory=lambda: {user: {} for user in USERS}
    )
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    retries: int = 0  # requests sent beyond one per action: the retries and their reads


@pytest.fixture(params=["postgresql", "pgbouncer"])
def target(request: pytest.FixtureRequest) -> Iterator[tuple[str, dict[str, str]]]:
    """(the URL the server is given, extra environment) and a migrated database behind it."""
    with fresh_postgres_database_or_skip() as url:
        migrate_blocking(url)
        if request.param == "postgresql":
            yield url, {}
            return
        bouncer: PgBouncer = request.getfixturevalue("pgbouncer")
        pooled = with_host_and_port(url, "127.0.0.1", bouncer.port)
        yield pooled, {"DB_PREPARED_STATEMENTS": "false"}


def tasks_url(user: str) -> str:
    return f"/api/v1/{user}/tasks"


async def one_request(
    client: httpx.AsyncClient, user: str, rng: random.Random, ledger: Ledger, worker: int, n: int
) -> None:
    tasks = ledger.tasks[user]
    live = [task_id for task_id, tracked in tasks.items() if not tracked.deleted_by]
    own = [task_id for task_id in live if tasks[task_id].creator == worker]
    action = rng.choices([name for name, _ in MIX], [weight for _, weight in MIX])[0]
    if (action != "create" and not live) or (action == "put" and not own):
        action = "create"
    headers = {"Authorization": f"Bearer {token_for(user)}"}

    if action == "list":
        response = await client.get(tasks_url(user), headers=headers)
        ledger.statuses[(action, response.status_code)] += 1
        if response.status_code != 200 or "x-total-count" not in response.headers:
            ledger.problems.append(f"list -> {response.status_code} {response.text}")
        return

    if action in ("create", "retried create"):
        body: dict[str, object] = {
            "title": f"{user} task {n}",
            "description": rng.choice([None, "", f"no. {n} ✓ " * rng.randint(1, 3)]),
            "is_completed": rng.random() < 0.3,
        }
        if action == "create":
            responses = [await client.post(tasks_url(user), json=body, headers=headers)]
        else:  # the first answer is lost; the retry goes out while the first is on its way
            keyed = {**headers, "Idempotency-Key": f"{user}-{n}"}
            responses = await asyncio.gather(
                *(client.post(tasks_url(user), json=body, headers=keyed) for _ in range(2))
            )
            ledger.retries += 1
        for response in responses:
            ledger.statuses[(action, response.status_code)] += 1
        if any(response.status_code != 201 for response in responses):
            ledger.problems.append(f"{action} -> {[r.text for r in responses]}")
            return
        if len({response.text for response in responses}) != 1:
            ledger.problems.append(f"{action} answered two tasks: {[r.text for r in responses]}")
            return
        created = responses[0].json()
        if {key: created[key] for key in body} != body:
            ledger.problems.append(f"create echoed {created}, sent {body}")
        tasks[created["id"]] = Tracked(
            sent=body, creator=worker, contents=[(body["title"], body["description"])]
        )
        return

    task_id = rng.choice(own if action == "put" else live)
    url = f"{tasks_url(user)}/{task_id}"
    if action == "retried toggle":
        await retried_toggle(client, url, headers, tasks[task_id], ledger)
        return
    replacement = {"title": f"{user} replaced {n}", "description": None, "is_completed": True}
    if action == "put":
        tasks[task_id].contents.append((replacement["title"], replacement["description"]))
        response = await client.put(url, json=replacement, headers=headers)
    elif action == "toggle":
        response = await client.patch(f"{url}/complete", headers=headers)
    elif action == "get":
        response = await client.get(url, headers=headers)
    else:
        response = await client.delete(url, headers=headers)
    ledger.statuses[(action, response.status_code)] += 1
    tracked = tasks[task_id]
    expected_success = {"toggle": 200, "get": 200, "put": 200, "delete": 204}[action]
    if response.status_code == expected_success:
        if action == "put":
            tracked.sent, tracked.replaced = replacement, True
        elif action == "toggle":
            tracked.toggles += 1
        elif action == "delete":
            tracked.deleted_by += 1
        else:
            body = response.json()
            if (body["title"], body["description"]) not in tracked.contents:
                ledger.problems.append(f"get {task_id} returned {body}, sent {tracked.contents}")
    elif response.status_code == 404:
        tracked.not_found_seen = True  # legitimate only if someone deleted it: checked at the end
    else:
        ledger.problems.append(f"{action} {task_id} -> {response.status_code} {response.text}")


async def retried_toggle(
    client: httpx.AsyncClient, url: str, headers: dict[str, str], tracked: Tracked, ledger: Ledger
) -> None:
    """A toggle sent with the tag its client read, then again with the same tag."""
    read = await client.get(url, headers=headers)
    ledger.statuses[("retried toggle: read", read.status_code)] += 1
    if read.status_code == 404:
        tracked.not_found_seen = True
        return
    conditional = {**headers, "If-Match": read.headers["etag"]}
    answers = [(await client.patch(f"{url}/complete", headers=conditional)) for _ in range(2)]
    ledger.retries += 2
    codes = [answer.status_code for answer in answers]
    for code in codes:
        ledger.statuses[("retried toggle", code)] += 1
    tracked.toggles += codes.count(200)
    tracked.not_found_seen |= 404 in codes
    # Once the first flipped it, the tag is stale: the retry must not flip it back.
    # (Another client may have deleted it in between: 404.)
    if (codes[0] == 200 and codes[1] == 200) or not set(codes) <= {200, 404, 412}:
        ledger.problems.append(f"toggle retried with one tag answered {codes}")


async def run_client(base_url: str, worker: int, quota: int, ledger: Ledger) -> None:
    rng = random.Random(SEED + worker)
    user = USERS[worker % len(USERS)]
    # A retried create opens a second connection that then idles: it is dropped before the
    # server's keep-alive timeout (5 s), or a request sent as the server closes it is lost.
    limits = httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=30.0, trust_env=False, limits=limits
    ) as client:
        for n in range(quota):
            try:
                await one_request(client, user, rng, ledger, worker, worker * 10_000 + n)
            except httpx.TransportError as error:
                ledger.problems.append(f"client {worker}: {type(error).__name__}: {error}")


async def verify(base_url: str, ledger: Ledger) -> list[str]:
    problems: list[str] = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30.0, trust_env=False) as client:
        for user, tasks in ledger.tasks.items():
            headers = {"Authorization": f"Bearer {token_for(user)}"}
            for task_id, tracked in tasks.items():
                response = await client.get(f"{tasks_url(user)}/{task_id}", headers=headers)
                if tracked.deleted_by > 1:
                    problems.append(f"{task_id} was deleted {tracked.deleted_by} times")
                if tracked.deleted_by:
                    if response.status_code != 404:
                        problems.append(f"deleted {task_id} answers {response.status_code}")
                    continue
                if tracked.not_found_seen:
                    problems.append(f"{task_id} answered 404 once but was never deleted")
                if response.status_code != 200:
                    problems.append(f"created {task_id} answers {response.status_code}")
                    continue
                flipped = tracked.toggles % 2 == 1
                expected = {
                    **tracked.sent,
                    "is_completed": tracked.sent["is_completed"] is not flipped,
                }
                if tracked.replaced:
                    del expected["is_completed"]
                stored = {key: response.json()[key] for key in expected}
                if stored != expected:
                    problems.append(f"{task_id}: stored {stored}, expected {expected}")
            listed = await client.get(tasks_url(user), headers=headers)
            live = {task_id for task_id, tracked in tasks.items() if not tracked.deleted_by}
            if {task["id"] for task in listed.json()} != live:
                problems.append(f"{user}'s list does not hold exactly the live tasks")
    return problems


async def test_mixed_load_loses_no_acknowledged_write(
    target: tuple[str, dict[str, str]], tmp_path: Path
) -> None:
    url, extra_environment = target
    ledger = Ledger()
    environment = server_environment(url, TEST_SECRET, **extra_environment)
    async with running_api(environment, tmp_path) as api:
        started = time.perf_counter()
        quotas = [REQUESTS // CLIENTS + (worker < REQUESTS % CLIENTS) for worker in range(CLIENTS)]
        await asyncio.wait_for(
            asyncio.gather(
                *(
                    run_client(api.base_url, worker, quota, ledger)
                    for worker, quota in enumerate(quotas)
                )
            ),
            MAX_LOAD_SECONDS,
        )
        seconds = time.perf_counter() - started
        problems = ledger.problems + await verify(api.base_url, ledger)
        log = api.log()

    sent = sum(ledger.statuses.values())
    assert sent == REQUESTS + ledger.retries
    server_errors = {key: count for key, count in ledger.statuses.items() if key[1] >= 500}
    assert not server_errors, f"{server_errors}\n{log[-4000:]}"
    assert not problems, "\n".join(problems[:30])
    # The mix really exercised every path, concurrently on shared rows.
    successes = (("create", 201), ("toggle", 200), ("get", 200), ("put", 200), ("list", 200))
    for action, success in (*successes, ("delete", 204)):
        assert ledger.statuses[(action, success)] > 50, ledger.statuses
    assert ledger.statuses[("retried create", 201)] > 100, ledger.statuses
    assert ledger.statuses[("retried toggle", 412)] > 50, ledger.statuses
    print(f"{REQUESTS} requests from {CLIENTS} clients in {seconds:.1f} s: {dict(ledger.statuses)}")
