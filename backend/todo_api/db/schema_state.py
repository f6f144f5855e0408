"""Where the database's schema stands against the migrations this version ships."""

from dataclasses import dataclass
from functools import cache

from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from todo_api.db.failure_cause import DatabaseProblem
from todo_api.db.migrations import alembic_config

_CURRENT_REVISIONS = text("SELECT version_num FROM alembic_version")


@dataclass(frozen=True, slots=True)
class Revisions:
    heads: frozenset[str]  # what this version of the code needs
    known: frozenset[str]  # every revision it ships


@cache
def packaged_revisions() -> Revisions:
    scripts = ScriptDirectory.from_config(alembic_config())
    return Revisions(
        heads=frozenset(scripts.get_heads()),
        known=frozenset(script.revision for script in scripts.walk_revisions()),
    )


async def schema_behind(connection: AsyncConnection, needed: Revisions) -> DatabaseProblem | None:
    """None at `needed`'s heads, or at a revision this version does not know: a newer release
    migrated first, and its migrations keep older code working."""
    revisions = set((await connection.execute(_CURRENT_REVISIONS)).scalars())
    if revisions >= needed.heads or revisions - needed.known:
        return None
    heads = ", ".join(sorted(needed.heads))
    if not revisions:  # migrated, then downgraded to base
        found = "not migrated: no revision recorded;"
    else:
        found = f"at revision {', '.join(sorted(revisions))},"
    return DatabaseProblem("schema", "schema", f"{found} this version needs {heads}")
