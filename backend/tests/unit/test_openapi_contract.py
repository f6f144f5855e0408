"""The committed OpenAPI document is the contract: any difference must be deliberate."""

import json
from pathlib import Path

from todo_api.main import create_app

CONTRACT = Path(__file__).resolve().parents[3] / "specs" / "contracts" / "openapi.json"


def test_app_schema_matches_the_committed_contract() -> None:
    committed = json.loads(CONTRACT.read_text())
    generated = json.loads(json.dumps(create_app().openapi()))
    assert generated == committed, (
        "The API's OpenAPI schema changed. If the change is intended, run `make openapi` "
        "and commit specs/contracts/openapi.json with it."
    )


def test_contract_documents_every_operation_and_error_code() -> None:
    document = json.loads(CONTRACT.read_text())
    operations = {
        (method.upper(), path) for path, methods in document["paths"].items() for method in methods
    }
    tasks, task = "/api/v1/{user_id}/tasks", "/api/v1/{user_id}/tasks/{task_id}"
    assert {
        ("GET", tasks),
        ("POST", tasks),
        ("GET", task),
        ("PUT", task),
        ("DELETE", task),
        ("PATCH", task + "/complete"),
        ("GET", "/health"),
        ("GET", "/health/ready"),
    } == operations
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"title", "status", "detail", "code"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
