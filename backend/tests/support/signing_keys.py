"""Real key pairs for tests: they sign tokens and publish their public half as JWKs."""

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from jwt.algorithms import get_default_algorithms

PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private_key: PrivateKey

    def public_jwk(self, *, declare_algorithm: bool = True, **members: str) -> dict[str, Any]:
        """The JWKS entry for this key, with `alg` unless told otherwise, plus `members`."""
        algorithm = get_default_algorithms()[self.algorithm]
        jwk: dict[str, Any] = algorithm.to_jwk(self.private_key.public_key(), as_dict=True)
        jwk["kid"] = self.kid
        if declare_algorithm:
            jwk["alg"] = self.algorithm
        return jwk | members

    def public_pem(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(
        self, claims: dict[str, Any], *, algorithm: str | None = None, kid: str | None = None
    ) -> str:
        """A token with header {alg, kid}; both default to this key's own."""
        return jwt.encode(
            claims,
            self.private_key,
            algorithm=algorithm or self.algorithm,
            headers={"kid": self.kid if kid is None else kid},
        )


def new_ed25519_key(kid: str) -> SigningKey:
    return SigningKey(kid, "EdDSA", ed25519.Ed25519PrivateKey.generate())


def new_ec_key(kid: str, curve: ec.EllipticCurve, algorithm: str) -> SigningKey:
    return SigningKey(kid, algorithm, ec.generate_private_key(curve))


def new_rsa_key(kid: str, algorithm: str = "RS256") -> SigningKey:
    return SigningKey(
        kid, algorithm, rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def compose_token(header: object, payload: object | bytes, signature: bytes) -> str:
    """A token from parts, JSON-encoding whatever is not already bytes: for malformed tokens."""
    header_bytes = header if isinstance(header, bytes) else json.dumps(header).encode()
    payload_bytes = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    return f"{b64url(header_bytes)}.{b64url(payload_bytes)}.{b64url(signature)}"


def hs256_token(
    payload: object | bytes, secret: bytes, header: dict[str, Any] | None = None
) -> str:
    """HS256 signed by hand, since PyJWT (rightly) refuses a public key as an HMAC secret."""
    unsigned = compose_token(header or {"alg": "HS256", "typ": "JWT"}, payload, b"")[:-1]
    signature = hmac.new(secret, unsigned.encode(), hashlib.sha256).digest()
    return f"{unsigned}.{b64url(signature)}"
