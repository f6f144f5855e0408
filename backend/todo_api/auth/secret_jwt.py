"""HS256 JWTs signed with the shared secret: the ones a frontend mints, and the session cookie
cache of `cookieCache: { strategy: "jwt" }`."""

from dataclasses import dataclass

from todo_api.auth.claims import TimeRules, check_audience, check_issuer
from todo_api.auth.cookie_cache import principal_from_session_cache
from todo_api.auth.jws import Jws
from todo_api.auth.principal import Principal, principal_from_subject
from todo_api.auth.shared_secrets import SharedSecret
from todo_api.errors import AuthenticationFailed


@dataclass(frozen=True, slots=True)
class SecretJwtReader:
    """A minted token names its user in `sub`; the cookie cache carries `session` and `user`.
    Issuer and audience are checked only when the token carries them: the cookie has neither,
    and only holders of the shared secret can sign these tokens anyway."""

    secret: SharedSecret
    times: TimeRules
    issuer: str | None
    audience: str | None

    def read(self, jws: Jws) -> Principal:
        if not self.secret.signed(jws.signing_input, jws.signature):
            raise AuthenticationFailed("The token's signature is not valid.")
        claims = jws.claims()
        self.times.check_jwt_times(claims)
        if self.issuer is not None and "iss" in claims:
            check_issuer(claims, self.issuer)
        if self.audience is not None and "aud" in claims:
            check_audience(claims, self.audience)
        if "session" in claims:
            return principal_from_session_cache(claims, self.times)
        return principal_from_subject(claims)
