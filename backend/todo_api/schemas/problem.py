"""The error body every failure shares (RFC 9457 problem details plus a machine `code`)."""

from pydantic import BaseModel, Field


class ValidationIssue(BaseModel):
    loc: str = Field(description="Where the problem is, e.g. `body.title` or `query.limit`.")
    message: str


class Problem(BaseModel):
    type: str = Field(default="about:blank", description="Always `about:blank`: see `code`.")
    title: str = Field(description="The HTTP status phrase.", examples=["Not Found"])
    status: int = Field(examples=[404])
    detail: str = Field(description="A sentence for humans.", examples=["Task not found."])
    code: str = Field(
        description="Stable machine code: BAD_REQUEST, AUTH_FAILED, ACCESS_DENIED, NOT_FOUND, "
        "METHOD_NOT_ALLOWED, REQUEST_TIMEOUT, PRECONDITION_FAILED, PAYLOAD_TOO_LARGE, "
        "UNSUPPORTED_MEDIA_TYPE, VALIDATION_ERROR, HEADERS_TOO_LARGE, BACKEND_UNAVAILABLE, "
        "INTERNAL_ERROR, IDEMPOTENCY_KEY_REUSED, IDEMPOTENCY_KEY_IN_USE.",
        examples=["NOT_FOUND"],
    )
    request_id: str | None = Field(default=None, description="Also sent as `X-Request-ID`.")
    errors: list[ValidationIssue] | None = Field(
        default=None, description="Present on 400/422 validation failures."
    )
