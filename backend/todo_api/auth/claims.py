"""Rules on what a verified credential claims: its times, its issuer and its audience."""

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from todo_api.errors import AuthenticationFailed


@dataclass(frozen=True, slots=True)
class TimeRules:
    """The clock every credential form is judged by (injectable: tests freeze it), the leeway
    for Better Auth's clock against ours, and the longest lifetime a credential may claim."""

    clock: Callable[[], float]
    leeway_seconds: float
    max_lifetime_seconds: float

    def check_jwt_times(self, claims: dict[str, Any]) -> None:
        """`exp` is required; `nbf` and `iat`, when present, must not lie in the future."""
        expires_at = numeric_date(claims, "exp")
        if expires_at is None:
            raise AuthenticationFailed("The token has no expiry time.")
        issued_at = numeric_date(claims, "iat")
        now = self.check_expiry(expires_at, issued_at)
        not_before = numeric_date(claims, "nbf")
        if not_before is not None and not_before > now + self.leeway_seconds:
            raise AuthenticationFailed("The token is not valid yet.")
        if issued_at is not None and issued_at > now + self.leeway_seconds:
            raise AuthenticationFailed("The token claims to be issued in the future.")

    def check_expiry(self, expires_at: float, issued_at: float | None = None) -> float:
        """A credential's expiry: not past, and within the maximum lifetime of its issue (of
        now, when it does not say when it was issued). Returns the time it was judged at."""
        now = self.clock()
        if expires_at <= now - self.leeway_seconds:
            raise AuthenticationFailed("The token has expired.")
        start = now + self.leeway_seconds if issued_at is None else issued_at
        if expires_at - start > self.max_lifetime_seconds:
            raise AuthenticationFailed("The token's lifetime is longer than this service accepts.")
        return now

    def check_not_past(self, instant: float, refusal: str) -> None:
        if instant <= self.clock() - self.leeway_seconds:
            raise AuthenticationFailed(refusal)


def numeric_date(claims: dict[str, Any], name: str) -> float | None:
    if name not in claims:
        return None
    value = claims[name]
    if not is_finite_number(value):
        raise AuthenticationFailed(f"The token's '{name}' claim is not a number.")
    number: float = value  # an int stays an int: float() could overflow
    return number


def is_finite_number(value: object) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def check_issuer(claims: dict[str, Any], issuer: str) -> None:
    if claims.get("iss") != issuer:
        raise AuthenticationFailed("The token was issued by someone else.")


def check_audience(claims: dict[str, Any], audience: str) -> None:
    value = claims.get("aud")
    audiences = [value] if isinstance(value, str) else value
    if not isinstance(audiences, list) or audience not in audiences:
        raise AuthenticationFailed("The token is meant for another audience.")
