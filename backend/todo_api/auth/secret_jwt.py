"""HS256 JWTs signed with the shared secret: the ones a frontend mints, and the session cookie
cache of `cookieCache: { strategy: "jwt" }`."""

from todo_api.auth.claims import TimeRules, check_audience, check_issuer
from todo_api.auth.cookie_cache import principal_from_session_cache
from todo_api.auth.jws import Jws
from todo_api.auth.principal import Principal, principal_from_subject
from todo_api.auth.shared_secrets import SharedSecret
from todo_api.errors import AuthenticationFailed


class SecretJwtReader:
    """A minted token names its user in `sub`; the cookie cache carries `session` and `user`.
    Issuer and audience are checked only when the token carries them: the cookie has neither,
    and only holders of the shared secret can sign these tokens anyway."""

    def __init__(
        self,
        secret: SharedSecret,
        times: TimeRules,
        *,
        issuer: str | None,
        audience: str | None,
    ) -> None:
        self._secret = secret
        self._times = times
        self._issuer = issuer
        self._audience = audience

    def read(self, jws: Jws) -> Principal:
        if not self._secret.signed(jws.signing_input, jws.signature):
            raise AuthenticationFailed("The token's signature is not valid.")
        claims = jws.claims()
        self._times.check_jwt_times(claims)
        if self._issuer is not None and "iss" in claims:
            check_issuer(claims, self._issuer)
        if self._audience is not None and "aud" in claims:
            check_audience(claims, self._audience)
        if "session" in claims:
            return principal_from_session_cache(claims, self._times)
        return principal_from_subject(claims)
