"""Do the two servers answer alike? A fair baseline returns what the project returns.

Before anything is measured, the same get-one and list-of-50 requests go to both servers;
the JSON bodies (parsed) and the list's X-Total-Count must match. A mismatch is printed as a
warning, not raised: the measurement is still worth having, but the report reader must know.
"""

import http.client
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from benchmarks.servers import Kind, Server
from benchmarks.settings import HOST, TIMEOUT_SECONDS


def _fetch(port: int, path: str, token: str) -> tuple[int, Any, str | None]:
    connection = http.client.HTTPConnection(HOST, port, timeout=TIMEOUT_SECONDS)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = connection.getresponse()
        body = response.read()
        return response.status, json.loads(body), response.getheader("x-total-count")
    finally:
        connection.close()


def check_parity(servers: Mapping[Kind, Server], tokens: dict[str, str], items: Path) -> bool:
    user, _, task = items.read_text().split("\n", 1)[0].split(" ")
    token = tokens[user]
    paths = [f"/api/v1/{user}/tasks/{task}", f"/api/v1/{user}/tasks?limit=50"]
    same = True
    for path in paths:
        answers = {kind: _fetch(server.port, path, token) for kind, server in servers.items()}
        if answers["project"] != answers["baseline"]:
            same = False
            print(f"WARNING: project and baseline answer {path} differently:", flush=True)
            for kind, (status, body, total) in answers.items():
                print(f"  {kind}: {status} total={total} {json.dumps(body)[:300]}", flush=True)
    if same:
        print("parity: project and baseline answer get-one and list-50 alike", flush=True)
    return same
