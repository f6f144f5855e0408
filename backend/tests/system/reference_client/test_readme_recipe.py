"""The Next.js guide's recipe is the reference client's code, quoted, not a copy that drifts.

Every TypeScript block of the guide is made of blank-line separated pieces (whole functions);
each piece must appear verbatim in examples/nextjs/app/actions.ts or in the cookie reader it
uses, examples/nextjs/lib/session-cookie.ts.
"""

from tests.support.markdown_blocks import GUIDES, REPO_ROOT, fenced_blocks

GUIDE = GUIDES / "nextjs.md"


def recipe_pieces() -> list[str]:
    blocks = fenced_blocks(GUIDE.read_text(), "ts")
    return [piece.strip() for block in blocks for piece in block.split("\n\n") if piece.strip()]


def test_every_typescript_piece_in_the_guide_is_in_the_reference_client() -> None:
    app = REPO_ROOT / "examples" / "nextjs"
    sources = (app / "app" / "actions.ts").read_text() + (
        app / "lib" / "session-cookie.ts"
    ).read_text()
    pieces = recipe_pieces()
    assert len(pieces) >= 5  # credentials, sessionCookie, mintedToken, retryDelayMs, toggleTask
    assert [piece for piece in pieces if piece not in sources] == []
