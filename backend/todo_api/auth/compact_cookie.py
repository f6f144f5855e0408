"""The session cookie cache's default strategy, `compact`: base64url of
`{"session":<data>,"expiresAt":<ms>,"signature":"<HMAC-SHA256, base64url>"}`."""

import re
from dataclasses import dataclass

from todo_api.auth.claims import TimeRules
from todo_api.auth.cookie_cache import principal_from_session_cache
from todo_api.auth.encoding import decode_segment, json_object, malformed
from todo_api.auth.principal import Principal
from todo_api.auth.shared_secrets import SharedSecret
from todo_api.errors import AuthenticationFailed

_HEAD = b'{"session":{'
_EXPIRES_AT = b',"expiresAt":'
# What follows the session data, as JSON.stringify writes it: a millisecond instant, then the
# signature (base64url, so it can hold neither a quote nor the marker above).
_TAIL = re.compile(rb',"expiresAt":(\d{1,16}),"signature":"([A-Za-z0-9_-]{43})"}')


@dataclass(frozen=True, slots=True)
class CompactCookieReader:
    """Better Auth signs `JSON.stringify({...sessionData, expiresAt})`, which is the session
    data exactly as the cookie spells it with `,"expiresAt":<ms>` spliced in before its last
    brace. The HMAC is checked over those bytes, and only those bytes are then trusted (never a
    second parse of the whole cookie), so no re-serialisation can differ from Better Auth's."""

    secret: SharedSecret
    times: TimeRules

    def read(self, token: bytes) -> Principal:
        document = decode_segment(token)
        marker = document.rfind(_EXPIRES_AT)
        tail = _TAIL.fullmatch(document, marker) if marker > 0 else None
        if not document.startswith(_HEAD) or tail is None:
            raise malformed()
        session_data = document[len(_HEAD) - 1 : marker]
        if not session_data.endswith(b"}") or session_data == b"{}":
            raise malformed()
        signed = session_data[:-1] + _EXPIRES_AT + tail[1] + b"}"
        if not self.secret.signed(signed, decode_segment(tail[2])):
            raise AuthenticationFailed("The token's signature is not valid.")
        payload = json_object(signed)
        self.times.check_expiry(int(tail[1]) / 1000)
        return principal_from_session_cache(payload, self.times)
