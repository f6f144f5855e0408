"""buildah from tests: build images, make working containers, run commands in them.

Everything uses chroot isolation: no daemon, no registry, and the container shares the host's
network, so a server inside listens on the host's loopback and reaches the local PostgreSQL.
Every call has a time limit; a failed call raises with buildah's own output.
"""

import json
import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ISOLATION = "chroot"


class BuildahError(AssertionError):
    """A buildah command failed; the message carries its output."""


def unavailable_reason() -> str | None:
    """None when buildah can build and run containers here, else why not."""
    if shutil.which("buildah") is None:
        return "buildah is not installed (apt-get install buildah)"
    if os.geteuid() != 0:
        return "buildah with chroot isolation needs root here"
    try:
        buildah("info", timeout=30)
    except (BuildahError, subprocess.TimeoutExpired) as error:
        return f"`buildah info` failed: {error}"
    return None


def buildah(*args: str, timeout: float, cwd: Path | None = None) -> str:
    completed = subprocess.run(  # noqa: S603 (fixed executable, our own arguments)
        ["buildah", *args],  # noqa: S607 (found on PATH, like apt installs it)
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise BuildahError(
            f"buildah {' '.join(args)} exited with {completed.returncode}:\n"
            f"{completed.stdout[-4000:]}{completed.stderr[-4000:]}"
        )
    return completed.stdout


def image_exists(name: str) -> bool:
    try:
        buildah("inspect", "--type", "image", name, timeout=30)
    except BuildahError:
        return False
    return True


def image_config(name: str) -> dict[str, Any]:
    """The image's Docker-format config: Cmd, Entrypoint, Env, User, Healthcheck..."""
    inspected = json.loads(buildah("inspect", "--type", "image", name, timeout=30))
    config: dict[str, Any] = inspected["Docker"]["config"]
    return config


def image_id(name: str) -> str | None:
    try:
        return buildah(
            "inspect", "--type", "image", "--format", "{{.FromImageID}}", name, timeout=30
        ).strip()
    except BuildahError:
        return None


def image_size_bytes(name: str) -> int:
    """The image's size on disk: its layers, uncompressed, as its manifest lists them."""
    manifest = json.loads(
        buildah("inspect", "--type", "image", "--format", "{{.Manifest}}", name, timeout=30)
    )
    return sum(int(layer["size"]) for layer in manifest["layers"])


@contextmanager
def working_container(image: str) -> Iterator[str]:
    """A container from `image` (nothing runs in it yet), removed afterwards."""
    name = f"todo-api-test-{uuid.uuid4().hex[:12]}"
    buildah("from", "--pull-never", "--name", name, image, timeout=120)
    try:
        yield name
    finally:
        buildah("rm", name, timeout=120)


def run_command(container: str, argv: list[str], environment: Mapping[str, str]) -> list[str]:
    """The command line that runs `argv` in `container`, with the image's user, workdir and env
    plus `environment` on top (what a container runtime does with `-e`)."""
    env_options = [option for item in environment.items() for option in ("--env", "=".join(item))]
    return ["buildah", "run", "--isolation", ISOLATION, *env_options, container, "--", *argv]
