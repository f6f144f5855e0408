"""The fenced code blocks of the project's documents (the README and the guides), for the
tests that run or quote what the documents show."""

import re
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[3]
README = REPO_ROOT / "README.md"
GUIDES = REPO_ROOT / "specs" / "guides"

_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)
_HEADING = re.compile(r"^(#{1,6}) ")


def section(document: Path, heading: str) -> str:
    """The text under the heading line `heading` (e.g. "## Try it"), up to the next heading of
    its level or above; lines inside fenced blocks are never headings."""
    level = len(heading) - len(heading.lstrip("#"))
    lines = document.read_text().splitlines(keepends=True)
    in_fence = False
    start: int | None = None
    for number, line in enumerate(lines):
        if line.startswith("```"):
            in_fence = not in_fence
        if in_fence or not (found := _HEADING.match(line)):
            continue
        if start is None:
            if line.rstrip("\n") == heading:
                start = number + 1
        elif len(found.group(1)) <= level:
            return "".join(lines[start:number])
    assert start is not None, f"no {heading!r} in {document}"
    return "".join(lines[start:])


def fenced_blocks(text: str, language: str) -> list[str]:
    """The contents of the blocks fenced as ```language, in order."""
    return [body for info, body in _FENCE.findall(text) if info == language]


def block_after(text: str, introduction: str, language: str) -> str:
    """The first ```language block after the paragraph that starts with `introduction`."""
    paragraph = re.search(rf"^{re.escape(introduction)}", text, re.M)
    assert paragraph, f"no paragraph starting {introduction!r}"
    blocks = fenced_blocks(text[paragraph.start() :], language)
    assert blocks, f"no {language} block after {introduction!r}"
    return blocks[0]
