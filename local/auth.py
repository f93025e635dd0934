"""`make up`'s token issuer, standing in for Cognito: local only, never imported in Lambda.

The stack's supervisor creates an RSA signing key on first run (`<data dir>/auth/`, mode 0600)
and publishes its public half as a JWKS (`auth/jwks.json`, served at /.well-known/jwks.json).
`seatledger token` mints ID tokens shaped like Cognito's with the private key; the API processes
verify with the published keys only, through PyJWT: algorithm pinned, key by `kid`, signature,
`exp`, `iss`, `aud` and `token_use`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from infra.api.auth import ME, ORGANIZERS

ISSUER = "urn:seatledger:local-issuer"  # a fixed id: tokens survive a restart on another port
CLIENT_ID = "seatledger-local"  # the `aud` of every token, as a Cognito app client id is
ALGORITHM = "RS256"  # what Cognito signs ID tokens with
KEY_FILE = "signing-key.pem"
JWKS_FILE = "jwks.json"
JWKS_PATH = "/.well-known/jwks.json"
REQUIRED = ["exp", "iat", "iss", "aud", "sub", "token_use"]
SUBJECT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,99}")  # fits the API's customer ids


class InvalidToken(Exception):
    """The token proves nothing: the reason says why (the API answers 401 with it)."""


def auth_dir(data_dir: Path) -> Path:
    return data_dir / "auth"


def _b64(number: int) -> str:
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def public_jwk(key: rsa.RSAPublicKey) -> dict[str, str]:
    """The key as a JWK, its `kid` the RFC 7638 thumbprint (so one key always has one id)."""
    numbers = key.public_numbers()
    jwk = {"e": _b64(numbers.e), "kty": "RSA", "n": _b64(numbers.n)}
    digest = hashlib.sha256(json.dumps(jwk, separators=(",", ":")).encode()).digest()
    kid = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": ALGORITHM, "use": "sig"}


def ensure_key(data_dir: Path) -> Path:
    """Create the signing key and its JWKS unless they exist (the supervisor, before any API
    process starts). Returns the directory holding them."""
    folder = auth_dir(data_dir)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    key_path = folder / KEY_FILE
    if not key_path.exists():
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        try:
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # created meanwhile by another process: that one is the key
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(pem)
    jwks = {"keys": [public_jwk(_private_key(folder).public_key())]}
    temporary = folder / f"{JWKS_FILE}.{os.getpid()}"
    temporary.write_text(json.dumps(jwks, indent=2))
    temporary.replace(folder / JWKS_FILE)
    return folder


def _private_key(folder: Path) -> rsa.RSAPrivateKey:
    key = serialization.load_pem_private_key((folder / KEY_FILE).read_bytes(), password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return key


class Verifier:
    """Checks tokens against the published JWKS (the API processes: no private key needed)."""

    def __init__(self, jwks: dict[str, Any]) -> None:
        self.jwks = jwks
        self.keys: dict[str, rsa.RSAPublicKey] = {}
        for jwk in jwks["keys"]:
            key = RSAAlgorithm.from_jwk(jwk)
            if isinstance(key, rsa.RSAPublicKey):  # a published private key is never trusted
                self.keys[jwk["kid"]] = key

    @classmethod
    def of(cls, data_dir: Path) -> Verifier:
        path = auth_dir(data_dir) / JWKS_FILE
        if not path.exists():
            raise SystemExit(f"no token issuer keys at {path}: `make up` creates them")
        return cls(json.loads(path.read_text()))

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, or InvalidToken saying what is wrong with it."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as e:
            raise InvalidToken(f"Not a readable JWT: {e}") from None
        kid = header.get("kid")
        key = self.keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise InvalidToken("Signed with a key this issuer never published (kid)")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],  # never "none", never whatever the header says
                audience=CLIENT_ID,
                issuer=ISSUER,
                options={"require": REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("The token has expired") from None
        except jwt.InvalidTokenError as e:
            raise InvalidToken(f"Invalid token: {e}") from None
        if claims["token_use"] != "id":
            raise InvalidToken("Not an ID token (token_use must be 'id')")
        return claims


class Issuer:
    """Mints ID tokens with the stack's private key (`seatledger token`, tests)."""

    def __init__(self, data_dir: Path) -> None:
        folder = auth_dir(data_dir)
        if not (folder / KEY_FILE).exists():
            raise FileNotFoundError(f"no signing key at {folder / KEY_FILE}: run `make up`")
        self.key = _private_key(folder)
        self.kid = public_jwk(self.key.public_key())["kid"]

    def mint(
        self,
        subject: str,
        *,
        organizer: bool = False,
        expires_in: int = 3600,
        now: float | None = None,
    ) -> str:
        if not SUBJECT.fullmatch(subject) or subject == ME:
            raise ValueError(
                f"{subject!r} cannot be a subject: 1-100 letters, digits or ._@+- (not {ME!r})"
            )
        issued = int(time.time() if now is None else now)
        claims: dict[str, Any] = {
            "sub": subject,
            "cognito:username": subject,
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "token_use": "id",
            "auth_time": issued,
            "iat": issued,
            "exp": issued + expires_in,
        }
        if organizer:
            claims["cognito:groups"] = [ORGANIZERS]
        return jwt.encode(claims, self.key, algorithm=ALGORITHM, headers={"kid": self.kid})
