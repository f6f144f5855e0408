"""The README's Next.js recipe is the reference client's code, quoted, not a copy that drifts.

Every TypeScript block of "Sending a token from Next.js" is made of blank-line separated
pieces (whole functions); each piece must appear verbatim in examples/nextjs/app/actions.ts.
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
SECTION = "## Sending a token from Next.js"


def recipe_pieces() -> list[str]:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(SECTION)
    section = readme[start : readme.index("\n## ", start + len(SECTION))]
    blocks = re.findall(r"```ts\n(.*?)```", section, flags=re.S)
    return [piece.strip() for block in blocks for piece in block.split("\n\n") if piece.strip()]


def test_every_typescript_piece_in_the_readme_is_in_actions_ts() -> None:
    actions = (ROOT / "examples" / "nextjs" / "app" / "actions.ts").read_text()
    pieces = recipe_pieces()
    assert len(pieces) >= 5  # credentials, joinSessionData, mintedToken, retryDelayMs, toggleTask
    assert [piece for piece in pieces if piece not in actions] == []
