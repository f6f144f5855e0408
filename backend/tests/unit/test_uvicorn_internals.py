"""uvicorn is bounded to the releases whose protocol internals the server drives, and a
uvicorn without them stops `todo-api serve` with one line naming its version."""

import sys
import tomllib
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.version import Version
from uvicorn.protocols.http import httptools_impl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from todo_api import cli
from todo_api.server.uvicorn_internals import (
    missing_internals,
    supported_uvicorn,
    unsupported_uvicorn,
)

PYPROJECT = Path(__file__).resolve().parents[3] / "pyproject.toml"


def pyproject_requirement(name: str) -> Requirement:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    [requirement] = [Requirement(d) for d in dependencies if Requirement(d).name == name]
    return requirement


def test_uvicorn_is_bounded_above_and_the_installed_one_is_inside() -> None:
    specifier = pyproject_requirement("uvicorn").specifier
    assert any(spec.operator == "<" for spec in specifier), f"no upper bound: {specifier}"
    assert Version(version("uvicorn")) in specifier
    # The line `serve` prints names the bound of the package as installed: the same one.
    assert Requirement(supported_uvicorn()).specifier == specifier


def test_the_installed_uvicorn_has_every_internal_the_protocol_drives() -> None:
    assert missing_internals() == []
    assert unsupported_uvicorn() is None


class WithoutResponseHook(HttpToolsProtocol):
    on_response_complete = None  # type: ignore[assignment]


class CycleWithout100Continue(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        del self.cycle.waiting_for_100_continue


class CycleWhoseBodyIsNeverAwaited(HttpToolsProtocol):
    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self.cycle.more_body = False


class FlowWithoutReadPaused(HttpToolsProtocol):
    def connection_made(self, transport: Any) -> None:
        super().connection_made(transport)
        del self.flow.read_paused


class OtherConstructor(HttpToolsProtocol):
    def __init__(self, config: Any, server_state: Any) -> None:
        super().__init__(config, server_state, {})


@pytest.mark.parametrize(
    ("protocol_class", "lacking"),
    [
        (WithoutResponseHook, "WithoutResponseHook.on_response_complete()"),
        (CycleWithout100Continue, "RequestResponseCycle.waiting_for_100_continue"),
        (CycleWhoseBodyIsNeverAwaited, "RequestResponseCycle.more_body"),
        (FlowWithoutReadPaused, "FlowControl.read_paused"),
        (OtherConstructor, "a working exchange (TypeError"),
    ],
)
def test_a_protocol_without_one_internal_is_refused_in_one_line_naming_it(
    protocol_class: type[HttpToolsProtocol], lacking: str
) -> None:
    line = unsupported_uvicorn(protocol_class)
    assert line is not None
    assert line.startswith(f"uvicorn {version('uvicorn')} is not supported: ")
    assert lacking in line
    assert line.endswith(f"; install {supported_uvicorn()}")
    assert "\n" not in line


@pytest.mark.parametrize("name", ["HttpToolsProtocol", "STATUS_LINE"])
def test_a_uvicorn_without_a_name_the_protocol_imports_is_refused(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.delattr(httptools_impl, name)
    [lacking] = missing_internals()
    assert f"cannot import name '{name}'" in lacking


def test_a_uvicorn_whose_status_lines_changed_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(httptools_impl, "STATUS_LINE", {431: b"431"})
    assert missing_internals() == ["STATUS_LINE"]


def test_serve_stops_before_starting_uvicorn(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    monkeypatch.setattr(HttpToolsProtocol, "on_body", None)

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("uvicorn started")

    monkeypatch.setattr(cli.uvicorn, "run", must_not_run)
    assert cli.main(["serve", "--port", "8123"]) == 2
    error = capsys.readouterr().err
    assert error == (
        f"todo-api serve: uvicorn {version('uvicorn')} is not supported: its httptools "
        f"protocol lacks HttpToolsProtocol.on_body(); install {supported_uvicorn()}\n"
    )


def test_a_broken_import_of_our_own_is_raised_not_blamed_on_uvicorn(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "todo_api.server.http_protocol", None)
    with pytest.raises(ImportError) as raised:
        missing_internals()
    assert raised.value.name == "todo_api.server.http_protocol"
