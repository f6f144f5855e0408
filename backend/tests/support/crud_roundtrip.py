"""One pass through every task endpoint over real HTTP, for servers started outside pytest."""

import httpx


async def exercise_crud(base_url: str, token: str, user_id: str) -> None:
    """Create, list, read, replace, complete and delete a task as `user_id`; assert each step."""
    tasks = f"/api/v1/{user_id}/tasks"
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(
        base_url=base_url, headers=headers, timeout=10.0, trust_env=False
    ) as client:
        created = await client.post(tasks, json={"title": "Ship it", "description": "a wheel"})
        assert created.status_code == 201, created.text
        task_id = created.json()["id"]
        assert created.headers["Location"].endswith(f"{tasks}/{task_id}")

        listed = await client.get(tasks)
        assert listed.status_code == 200, listed.text
        assert [task["id"] for task in listed.json()] == [task_id]
        assert listed.headers["X-Total-Count"] == "1"

        read = await client.get(f"{tasks}/{task_id}")
        assert read.status_code == 200, read.text
        assert read.json()["title"] == "Ship it"

        replaced = await client.put(
            f"{tasks}/{task_id}",
            json={"title": "Ship it twice", "description": None, "is_completed": False},
            headers={"If-Match": read.headers["ETag"]},
        )
        assert replaced.status_code == 200, replaced.text
        assert replaced.json()["title"] == "Ship it twice"

        completed = await client.patch(f"{tasks}/{task_id}/complete")
        assert completed.status_code == 200, completed.text
        assert completed.json()["is_completed"] is True

        deleted = await client.delete(f"{tasks}/{task_id}")
        assert deleted.status_code == 204, deleted.text
        gone = await client.get(f"{tasks}/{task_id}")
        assert gone.status_code == 404, gone.text

        stranger = await client.get(f"/api/v1/{user_id}x/tasks")
        assert stranger.status_code == 403, stranger.text
