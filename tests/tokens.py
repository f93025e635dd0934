"""Tokens the local issuer must refuse, made as someone without its key would make them."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from local.auth import CLIENT_ID, ISSUER, Issuer


def _b64(data: dict[str, Any] | bytes) -> str:
    raw = data if isinstance(data, bytes) else json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims_of(subject: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": subject,
        "iss": ISSUER,
        "aud": CLIENT_ID,
        "token_use": "id",
        "iat": now,
        "exp": now + 600,
        "cognito:groups": ["organizers"],
    }
    return {**claims, **changes}


def refused_tokens(issuer: Issuer, subject: str = "mallory") -> dict[str, str]:
    """Name -> a token that must get 401. Most claim organizer rights, to be worth forging."""
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = claims_of(subject)
    published = {"kid": issuer.kid}
    valid = issuer.mint(subject)
    head, _, signature = valid.split(".")
    public_pem = issuer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    confused_head = _b64({"alg": "HS256", "typ": "JWT", **published})
    confused_body = _b64(claims)
    confused_mac = hmac.new(
        public_pem, f"{confused_head}.{confused_body}".encode(), hashlib.sha256
    ).digest()
    return {
        "expired": issuer.mint(subject, now=time.time() - 7200, expires_in=3600),
        "forged signature": jwt.encode(claims, other_key, "RS256", headers=published),
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT', **published})}.{_b64(claims)}.",
        "unknown kid": jwt.encode(claims, other_key, "RS256", headers={"kid": "not-published"}),
        "malformed": "not-a-jwt",
        "claims altered after signing": f"{head}.{_b64(claims)}.{signature}",
        "HS256 keyed with the public key": f"{confused_head}.{confused_body}.{_b64(confused_mac)}",
        "another issuer": jwt.encode(
            claims_of(subject, iss="https://elsewhere"), issuer.key, "RS256", headers=published
        ),
        "another audience": jwt.encode(
            claims_of(subject, aud="another-client"), issuer.key, "RS256", headers=published
        ),
        "an access token": jwt.encode(
            claims_of(subject, token_use="access"), issuer.key, "RS256", headers=published
        ),
        "no expiry": jwt.encode(
            {k: v for k, v in claims.items() if k != "exp"}, issuer.key, "RS256", headers=published
        ),
    }
