"""A local stand-in for a Cognito user pool: it mints ID tokens and verifies them like API Gateway.

With ``auth = "cognito"`` the deployed API has a COGNITO_USER_POOLS authorizer: it accepts a
request only with a valid ID token of the pool in the ``Authorization`` header and hands the
token's claims to the mapping template as ``$context.authorizer.claims``. Locally there is no
Cognito, so :class:`LocalUserPool` plays the pool: an RSA key generated per run (Cognito signs with
RS256 and publishes the public key as a JWKS; here the verifier holds the public key directly),
:meth:`LocalUserPool.mint` issues tokens shaped like Cognito's, and :meth:`LocalUserPool.verify`
applies what the authorizer checks: signature (RS256 with the pool's ``kid`` only, so ``none`` or
an HMAC signed with the public key cannot pass), ``exp`` in the future, ``iss`` the pool,
``token_use`` ``id`` and ``aud`` the app client. Anything else is :class:`InvalidToken`, which the
API answers with 401 ``Unauthorized``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

# Cognito's ID tokens live one hour by default (the app client's id_token_validity).
DEFAULT_LIFETIME_SECONDS = 3600
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class InvalidToken(ValueError):
    """The token would not pass a Cognito user-pool authorizer; the message says why (never sent)."""


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    # Python's decoder skips characters outside the alphabet; a JWS segment must not contain any.
    if not _BASE64URL.fullmatch(text):
        raise InvalidToken("segment is not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise InvalidToken("segment is not base64url") from error


def _json_object(segment: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(_unb64url(segment))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidToken(f"{what} is not JSON") from error
    if not isinstance(value, dict):
        raise InvalidToken(f"{what} is not a JSON object")
    return value


@dataclass(frozen=True)
class LocalUserPool:
    """One user pool with one app client; ``generate`` makes a fresh key and ids."""

    pool_id: str
    client_id: str
    region: str
    key_id: str
    private_key: rsa.RSAPrivateKey

    @classmethod
    def generate(cls, region: str) -> LocalUserPool:
        return cls(
            # Cognito's shapes: "<region>_<9 alphanumerics>" and a 26-character client id.
            pool_id=f"{region}_{secrets.token_hex(5)[:9]}",
            client_id=secrets.token_hex(13),
            region=region,
            key_id=secrets.token_hex(8),
            private_key=rsa.generate_private_key(public_exponent=65537, key_size=2048),
        )

    @property
    def issuer(self) -> str:
        return f"https://cognito-idp.{self.region}.amazonaws.com/{self.pool_id}"

    def mint(
        self,
        sub: str,
        email: str,
        *,
        now: datetime | None = None,
        lifetime_seconds: int = DEFAULT_LIFETIME_SECONDS,
        **overrides: Any,
    ) -> str:
        """An ID token for ``sub`` as Cognito issues it; ``overrides`` replace or add claims (tests)."""
        issued = int((now or datetime.now(UTC)).timestamp())
        claims: dict[str, Any] = {
            "sub": sub,
            "email_verified": True,
            "iss": self.issuer,
            "cognito:username": sub,
            "aud": self.client_id,
            "event_id": str(uuid.uuid4()),
            "token_use": "id",  # nosec B105  # the token kind (id vs access), not a secret
            "auth_time": issued,
            "exp": issued + lifetime_seconds,
            "iat": issued,
            "jti": str(uuid.uuid4()),
            "email": email,
            **overrides,
        }
        return self.sign({"kid": self.key_id, "alg": "RS256"}, claims)

    def sign(self, header: dict[str, Any], claims: dict[str, Any]) -> str:
        """``header.claims.signature`` with this pool's key (tests use it to forge odd headers)."""
        signing_input = f"{_b64url(json.dumps(header).encode())}.{_b64url(json.dumps(claims).encode())}"
        signature = self.private_key.sign(signing_input.encode("ascii"), padding.PKCS1v15(), hashes.SHA256())
        return f"{signing_input}.{_b64url(signature)}"

    def verify(self, token: str, now: datetime) -> dict[str, Any]:
        """The claims of ``token`` if a Cognito authorizer for this pool and client accepts it."""
        parts = token.split(".")
        if len(parts) != 3:
            raise InvalidToken("not a JWS compact serialization")
        header = _json_object(parts[0], "header")
        if header.get("alg") != "RS256" or header.get("kid") != self.key_id:
            raise InvalidToken("not signed with the pool's key")
        try:
            self.private_key.public_key().verify(
                _unb64url(parts[2]), f"{parts[0]}.{parts[1]}".encode("ascii"), padding.PKCS1v15(), hashes.SHA256()
            )
        except InvalidSignature as error:
            raise InvalidToken("bad signature") from error
        claims = _json_object(parts[1], "payload")
        expires = claims.get("exp")
        if not isinstance(expires, int | float) or isinstance(expires, bool) or expires <= now.timestamp():
            raise InvalidToken("expired or without exp")
        if claims.get("iss") != self.issuer:
            raise InvalidToken("issued by another pool")
        if claims.get("token_use") != "id":
            raise InvalidToken("not an ID token")
        if claims.get("aud") != self.client_id:
            raise InvalidToken("issued to another app client")
        return claims
