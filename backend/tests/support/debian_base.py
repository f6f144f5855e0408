"""A base image with python3 made from Debian's packages alone, for building the Dockerfile
where no container registry is reachable.

debootstrap installs a minimal Debian with python3 and its venv module (what the Dockerfile
asks of a base) into a folder, from the apt mirror this machine already uses; the folder,
tarred, becomes the one layer of a `FROM scratch` image.
"""

import re
import shutil
import subprocess
from pathlib import Path

from tests.support.buildah import ISOLATION, buildah

SUITE = "bookworm"
PACKAGES = ("python3", "python3-venv", "ca-certificates")
FALLBACK_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_TIMEOUT_SECONDS = 900.0


def apt_mirror(apt_dir: Path = Path("/etc/apt")) -> str:
    """The first mirror that this machine's apt sources use for SUITE itself."""
    one_line = re.compile(rf"^deb\s+(?:\[[^]]*\]\s+)?(\S+)\s+{SUITE}\s", re.MULTILINE)
    for path in [apt_dir / "sources.list", *sorted(apt_dir.glob("sources.list.d/*.list"))]:
        if path.is_file() and (match := one_line.search(path.read_text())):
            return match.group(1)
    for path in sorted(apt_dir.glob("sources.list.d/*.sources")):
        for stanza in re.split(r"\n\s*\n", path.read_text()):
            fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.MULTILINE))
            if (
                "deb" in fields.get("Types", "").split()
                and SUITE in fields.get("Suites", "").split()
            ):
                return str(fields["URIs"]).split()[0]
    return FALLBACK_MIRROR


class BaseImageError(RuntimeError):
    """The base image could not be made here (no mirror, no debootstrap...)."""


def build_base_image(name: str, workdir: Path) -> None:
    """Debootstrap into `workdir`, then tag the result as `name`; `workdir` is emptied after."""
    rootfs = workdir / "rootfs"
    tarball = workdir / "rootfs.tar"
    include = f"--include={','.join(PACKAGES)}"
    try:
        _run(
            ["debootstrap", "--variant=minbase", include, SUITE, str(rootfs), apt_mirror()],
            timeout=DEBOOTSTRAP_TIMEOUT_SECONDS,
        )
        # Downloaded packages and package lists are not part of a base image.
        shutil.rmtree(rootfs / "var" / "cache" / "apt" / "archives", ignore_errors=True)
        shutil.rmtree(rootfs / "var" / "lib" / "apt" / "lists", ignore_errors=True)
        _run(["tar", "-C", str(rootfs), "--numeric-owner", "-cf", str(tarball), "."], timeout=300)
        shutil.rmtree(rootfs)
        (workdir / "Containerfile").write_text('FROM scratch\nADD rootfs.tar /\nCMD ["python3"]\n')
        buildah("build", "--isolation", ISOLATION, "--tag", name, str(workdir), timeout=600)
    finally:
        shutil.rmtree(rootfs, ignore_errors=True)
        tarball.unlink(missing_ok=True)


def _run(command: list[str], *, timeout: float) -> None:
    try:
        completed = subprocess.run(  # noqa: S603 (fixed programs, our own arguments)
            command, capture_output=True, text=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise BaseImageError(f"{command[0]}: {error}") from error
    if completed.returncode != 0:
        raise BaseImageError(
            f"{' '.join(command)} exited with {completed.returncode}:\n"
            f"{completed.stdout[-3000:]}{completed.stderr[-3000:]}"
        )
