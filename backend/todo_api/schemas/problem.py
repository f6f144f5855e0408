"""The error body every failure shares (RFC 9457 problem details plus a machine `code`), and
the one table of the problems the API answers: status, code, title and message of each."""

from dataclasses import dataclass
from http import HTTPStatus

from pydantic import BaseModel, Field

from todo_api import errors

# RFC 9110 reason phrases, fixed here: Python's HTTPStatus renamed some between versions,
# and the published contract must not change with the interpreter.
_TITLES = {413: "Content Too Large", 422: "Unprocessable Content"}


def status_title(status: int) -> str:
    return _TITLES.get(status) or HTTPStatus(status).phrase


@dataclass(frozen=True, slots=True)
class ProblemType:
    """One kind of failure. `detail` is the sentence sent (or, where it varies, a typical one);
    `raised_as` is the domain error answered this way, subclasses included."""

    status: int
    code: str
    detail: str
    raised_as: type[errors.DomainError] | None = None

    @property
    def title(self) -> str:
        return status_title(self.status)


def _raised_as(status: int, code: str, error: errors.DomainError) -> ProblemType:
    """The entry of a domain error whose message is fixed: its example is that message."""
    return ProblemType(status, code, error.detail, type(error))


BAD_REQUEST = ProblemType(
    400, "BAD_REQUEST", "The request has an invalid path, query or header value."
)
MISSING_TOKEN = ProblemType(
    401,
    "AUTH_FAILED",
    "Send a Better Auth token as 'Authorization: Bearer <token>'.",
    errors.AuthenticationFailed,
)
# `{max_body_bytes}` is the limit in force (Settings.max_body_bytes).
BODY_TOO_LARGE = ProblemType(
    413, "PAYLOAD_TOO_LARGE", "The request body is larger than {max_body_bytes} bytes."
)


def body_too_large_detail(max_body_bytes: int) -> str:
    return BODY_TOO_LARGE.detail.format(max_body_bytes=max_body_bytes)


NOT_JSON = ProblemType(
    415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as JSON with Content-Type: application/json."
)
INVALID_TASK = ProblemType(422, "VALIDATION_ERROR", "The request body is not a valid task.")
UNEXPECTED = ProblemType(500, "INTERNAL_ERROR", "An unexpected error occurred; it has been logged.")

# The first entry of a status gives the code (and the docs' example) of a failure known only
# by its status: one FastAPI or the server raises, or an HTTPException.
PROBLEM_TYPES = (
    BAD_REQUEST,
    MISSING_TOKEN,
    _raised_as(403, "ACCESS_DENIED", errors.AccessDenied()),
    _raised_as(404, "NOT_FOUND", errors.TaskNotFound()),
    ProblemType(405, "METHOD_NOT_ALLOWED", "Method Not Allowed"),
    ProblemType(408, "REQUEST_TIMEOUT", "Request Timeout"),
    _raised_as(409, "IDEMPOTENCY_KEY_IN_USE", errors.IdempotencyKeyInUse()),
    _raised_as(412, "PRECONDITION_FAILED", errors.PreconditionFailed()),
    BODY_TOO_LARGE,
    NOT_JSON,
    INVALID_TASK,
    _raised_as(422, "IDEMPOTENCY_KEY_REUSED", errors.IdempotencyKeyReused()),
    ProblemType(431, "HEADERS_TOO_LARGE", "Request Header Fields Too Large"),
    UNEXPECTED,
    ProblemType(
        503, "BACKEND_UNAVAILABLE", errors.DatabaseUnavailable().detail, errors.BackendUnavailable
    ),
)
BY_STATUS = {kind.status: kind for kind in reversed(PROBLEM_TYPES)}
_BY_ERROR = {kind.raised_as: kind for kind in PROBLEM_TYPES if kind.raised_as is not None}


def problem_type_of(error: errors.DomainError) -> ProblemType:
    """The entry of the error's class or of its nearest listed ancestor; else a 500."""
    for cls in type(error).__mro__:
        if (kind := _BY_ERROR.get(cls)) is not None:
            return kind
    return UNEXPECTED


class ValidationIssue(BaseModel):
    loc: str = Field(description="Where the problem is, e.g. `body.title` or `query.limit`.")
    message: str


class Problem(BaseModel):
    type: str = Field(default="about:blank", description="Always `about:blank`: see `code`.")
    title: str = Field(description="The HTTP status phrase.", examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(description="A sentence for humans.", examples=["Task not found."])
    code: str = Field(
        description="Stable machine code: "
        + ", ".join(dict.fromkeys(kind.code for kind in PROBLEM_TYPES))
        + ".",
        examples=["NOT_FOUND"],
    )
    request_id: str | None = Field(default=None, description="Also sent as `X-Request-ID`.")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="Present on 400/422 validation failures."
    )
