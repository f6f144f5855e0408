"""A compact JWS taken apart (header, signing input, payload, signature), not yet trusted."""

from dataclasses import dataclass
from typing import Any

from todo_api.auth.encoding import decode_segment, json_object, malformed


@dataclass(frozen=True, slots=True)
class Jws:
    header: dict[str, Any]
    signing_input: bytes
    payload: bytes
    signature: bytes

    def claims(self) -> dict[str, Any]:
        """The payload as a JSON object: call only once the signature is verified."""
        return json_object(self.payload)


def split_jws(token: bytes) -> Jws:
    """`token` is three base64url segments (checked by the caller, which routes by shape).
    Split here, not by PyJWT's costly `decode_complete`; PyJWT still checks every signature."""
    signing_input, _, signature = token.rpartition(b".")
    header, _, payload = signing_input.partition(b".")
    if not header or not payload or not signature:
        raise malformed()
    return Jws(
        json_object(decode_segment(header)),
        signing_input,
        decode_segment(payload),
        decode_segment(signature),
    )
