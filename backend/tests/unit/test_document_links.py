"""Every relative link in the README, the specs and the guides leads somewhere: to a file that
exists and, where it names an anchor, to a heading of that document (GitHub's anchors)."""

import re
from pathlib import Path

import pytest

from tests.support.markdown_blocks import README, REPO_ROOT

DOCUMENTS = sorted(
    [README, REPO_ROOT / "space" / "README.md", *(REPO_ROOT / "specs").rglob("*.md")]
)
_FENCED = re.compile(r"^```.*?^```$", re.S | re.M)
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_HEADING = re.compile(r"^#{1,6} (.+)$", re.M)
_EXTERNAL = re.compile(r"^[a-z][a-z0-9+.-]*:")


def prose(document: Path) -> str:
    """The document without its code: links and headings in code blocks are not links."""
    return _FENCED.sub("", document.read_text())


def anchors(document: Path) -> set[str]:
    """GitHub's anchor for each heading: lower case, punctuation dropped, spaces as hyphens,
    and -1, -2... on repeats."""
    found = set()
    repeats: dict[str, int] = {}
    for heading in _HEADING.findall(prose(document)):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = repeats.get(slug, 0)
        found.add(slug if count == 0 else f"{slug}-{count}")
        repeats[slug] = count + 1
    return found


def broken_links(document: Path) -> list[str]:
    broken = []
    for target in _LINK.findall(_INLINE_CODE.sub("", prose(document))):
        if _EXTERNAL.match(target):
            continue
        path, _, anchor = target.partition("#")
        destination = (document.parent / path).resolve() if path else document
        if not destination.exists():
            broken.append(f"{target}: no such file")
        elif anchor and (destination.suffix != ".md" or anchor not in anchors(destination)):
            broken.append(f"{target}: no such heading")
    return broken


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: str(path.relative_to(REPO_ROOT)))
def test_every_relative_link_resolves(document: Path) -> None:
    assert broken_links(document) == []


def test_the_readme_links_every_guide() -> None:
    guides = {path.name for path in (REPO_ROOT / "specs" / "guides").glob("*.md")}
    linked = {Path(target).name for target in _LINK.findall(prose(README))}
    assert len(guides) >= 4
    assert guides <= linked
