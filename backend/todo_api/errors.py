"""Domain errors, with no HTTP in them: `schemas/problem.py` gives each its status and code."""


class DomainError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class TaskNotFound(DomainError):
    def __init__(self) -> None:
        # One sentence for "missing" and "someone else's": the answer must not tell them apart.
        super().__init__("Task not found.")


class PreconditionFailed(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "The task has changed since the ETag in If-Match was issued; fetch it again."
        )


class IdempotencyKeyReused(DomainError):
    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used to create a task from another request "
            "body; use a new key for a new task."
        )


class IdempotencyKeyInUse(DomainError):
    """The key's create could neither be made nor found (its task was deleted meanwhile)."""

    def __init__(self) -> None:
        super().__init__(
            "The task made with this Idempotency-Key was deleted while this request looked "
            "for it; retry."
        )


class AuthenticationFailed(DomainError):
    """No usable credentials. `token_sent` tells whether a token was presented at all."""

    def __init__(self, detail: str, *, token_sent: bool = True) -> None:
        super().__init__(detail)
        self.token_sent = token_sent


class AccessDenied(DomainError):
    def __init__(self) -> None:
        super().__init__("The token does not belong to the user in the path.")


class BackendUnavailable(DomainError):
    """A dependency (database, Better Auth's JWKS endpoint) did not answer in time."""

    def __init__(self, detail: str, *, retry_after_seconds: int | None = None) -> None:
        super().__init__(detail)
        # When the raiser knows when a retry can succeed; else DB_RETRY_AFTER_SECONDS.
        self.retry_after_seconds = retry_after_seconds


class DatabaseUnavailable(BackendUnavailable):
    """The database failed to answer; its cause is logged where it was noticed."""

    def __init__(self, detail: str = "The database is not available; retry shortly.") -> None:
        super().__init__(detail)


class DatabaseWritesUnavailable(DatabaseUnavailable):
    """The database answers reads but refuses writes: it is read-only, or its storage is full."""

    def __init__(self) -> None:
        super().__init__(
            "Writes are unavailable: the database accepts no changes for now (reads keep working)."
        )


class SchemaBehind(DatabaseUnavailable):
    """The database lacks a table or column this version uses: its migrations were not run."""

    def __init__(self) -> None:
        super().__init__(
            "The database is not set up for this version of the service (its migrations "
            "have not been run); retry later.",
        )
