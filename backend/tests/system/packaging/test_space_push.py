"""The deployment guide's Hugging Face Space push runs as written, with bash and git, into a
local bare repository in place of the Space's: the Space gets the project's files with
space/README.md as its README, the branch pushed from is left as it was, and pushing again
after a change replaces the Space's copy."""

import subprocess
from pathlib import Path

from tests.support.markdown_blocks import GUIDES, REPO_ROOT, block_after, section

GUIDE = GUIDES / "deployment.md"
SPACE_URL = '"https://<user>:$HF_TOKEN@huggingface.co/spaces/<user>/<space>"'
SHIPPED = ("Dockerfile", "README.md", "space/README.md")


def push_block(space_repository: Path) -> str:
    text = section(GUIDE, "## A Hugging Face Space")
    block = block_after(text, "A Docker Space builds", "sh")
    assert block.count(SPACE_URL) == 1, block
    return block.replace(SPACE_URL, f'"{space_repository}"')


def git_environment(home: Path) -> dict[str, str]:
    """No configuration of this machine's user; an identity for the commits."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": str(home),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": "Guide Test",
        "GIT_AUTHOR_EMAIL": "guide@example.com",
        "GIT_COMMITTER_NAME": "Guide Test",
        "GIT_COMMITTER_EMAIL": "guide@example.com",
    }


def run(command: list[str], cwd: Path, environment: dict[str, str]) -> str:
    completed = subprocess.run(  # noqa: S603 (git and bash with the test's own arguments)
        command, cwd=cwd, env=environment, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, f"{command}:\n{completed.stdout}{completed.stderr}"
    return completed.stdout


def space_file(space_repository: Path, path: str, environment: dict[str, str]) -> str:
    return run(["git", "show", f"main:{path}"], space_repository, environment)


def test_the_space_push_ships_the_space_readme_and_leaves_the_branch(tmp_path: Path) -> None:
    environment = git_environment(tmp_path)
    checkout, space = tmp_path / "checkout", tmp_path / "space.git"
    run(["git", "init", "--quiet", "--bare", str(space)], tmp_path, environment)
    run(["git", "init", "--quiet", "-b", "work", str(checkout)], tmp_path, environment)
    for path in SHIPPED:
        (checkout / path).parent.mkdir(parents=True, exist_ok=True)
        (checkout / path).write_text((REPO_ROOT / path).read_text())
    run(["git", "add", "."], checkout, environment)
    run(["git", "commit", "--quiet", "-m", "the project"], checkout, environment)
    block = ["bash", "-e", "-o", "pipefail", "-c", push_block(space)]

    run(block, checkout, environment)
    space_readme = (REPO_ROOT / "space" / "README.md").read_text()
    assert space_file(space, "README.md", environment) == space_readme
    assert space_file(space, "Dockerfile", environment) == (REPO_ROOT / "Dockerfile").read_text()
    assert run(["git", "branch", "--show-current"], checkout, environment).strip() == "work"
    assert (checkout / "README.md").read_text() == (REPO_ROOT / "README.md").read_text()

    # A release later: the same commands replace the Space's copy.
    (checkout / "Dockerfile").write_text("# the next release\n")
    run(["git", "commit", "--quiet", "-am", "the next release"], checkout, environment)
    run(block, checkout, environment)
    assert space_file(space, "Dockerfile", environment) == "# the next release\n"
    assert space_file(space, "README.md", environment) == space_readme
