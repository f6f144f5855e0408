"""`todo-api serve` listens where PORT and HOST say, unless --port and --host say otherwise."""

from pathlib import Path

import pytest

from todo_api import cli
from todo_api.config import Settings


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[tuple[str, int]]:
    """Where `serve` would listen: the server itself is not started."""
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name in ("PORT", "HOST", "DATABASE_URL", "ENVIRONMENT", "BETTER_AUTH_URL"):
        monkeypatch.delenv(name, raising=False)
    addresses: list[tuple[str, int]] = []

    def fake_serve(settings: Settings, host: str, port: int, workers: int) -> int:
        addresses.append((host, port))
        return 0

    monkeypatch.setattr(cli, "_serve", fake_serve)
    return addresses


def test_loopback_and_8000_without_environment(served: list[tuple[str, int]]) -> None:
    assert cli.main(["serve"]) == 0
    assert served == [("127.0.0.1", 8000)]


def test_port_and_host_from_the_environment(
    served: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "7860")
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104 (what a container needs)
    assert cli.main(["serve"]) == 0
    assert served == [("0.0.0.0", 7860)]  # noqa: S104


def test_options_win_over_the_environment(
    served: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "7860")
    monkeypatch.setenv("HOST", "0.0.0.0")  # noqa: S104
    assert cli.main(["serve", "--host", "127.0.0.2", "--port", "9000"]) == 0
    assert served == [("127.0.0.2", 9000)]


def test_empty_port_is_unset(
    served: list[tuple[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "")
    monkeypatch.setenv("HOST", "")
    assert cli.main(["serve"]) == 0
    assert served == [("127.0.0.1", 8000)]


@pytest.mark.parametrize("port", ["eighty", "0", "65536", "-1"])
def test_a_bad_port_is_a_usage_error(
    served: list[tuple[str, int]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    port: str,
) -> None:
    monkeypatch.setenv("PORT", port)
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["serve"])
    assert exit_info.value.code == 2
    assert "PORT" in capsys.readouterr().err
    assert served == []


def test_help_names_the_variables(
    served: list[tuple[str, int]], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        cli.main(["serve", "--help"])
    help_text = capsys.readouterr().out
    assert "$PORT" in help_text
    assert "$HOST" in help_text
