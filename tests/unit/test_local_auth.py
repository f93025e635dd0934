"""The local token issuer (`make up`'s stand-in for Cognito) and the adapter's gate."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from infra.api.auth import caller_of
from local.api import authorize, gateway_claims, proxy_event
from local.auth import (
    JWKS_FILE,
    KEY_FILE,
    InvalidToken,
    Issuer,
    Verifier,
    auth_dir,
    ensure_key,
)
from tests.tokens import refused_tokens


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("data")
    ensure_key(data)
    return data


def test_the_key_is_made_once_private_and_its_public_half_published(data_dir: Path) -> None:
    folder = auth_dir(data_dir)
    assert (folder / KEY_FILE).stat().st_mode & 0o777 == 0o600
    assert folder.stat().st_mode & 0o777 == 0o700
    before = (folder / KEY_FILE).read_bytes()
    ensure_key(data_dir)  # a second run keeps the key
    assert (folder / KEY_FILE).read_bytes() == before
    (key,) = json.loads((folder / JWKS_FILE).read_text())["keys"]
    assert key["kid"] == Issuer(data_dir).kid and key["kty"] == "RSA"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)


def test_a_minted_token_verifies_like_a_cognito_id_token(data_dir: Path) -> None:
    claims = Verifier.of(data_dir).verify(Issuer(data_dir).mint("ann", organizer=True))
    assert claims["sub"] == "ann" and claims["token_use"] == "id"
    assert claims["cognito:groups"] == ["organizers"]
    assert claims["exp"] - claims["iat"] == 3600
    customer = Verifier.of(data_dir).verify(Issuer(data_dir).mint("bob"))
    assert "cognito:groups" not in customer


def test_every_refused_token_is_refused(data_dir: Path) -> None:
    verifier = Verifier.of(data_dir)
    reasons = {}
    for name, token in refused_tokens(Issuer(data_dir)).items():
        with pytest.raises(InvalidToken) as refused:
            verifier.verify(token)
        reasons[name] = str(refused.value)
    assert reasons["expired"] == "The token has expired"
    assert "never published" in reasons["unknown kid"]
    assert "Signature verification failed" in reasons["forged signature"]
    assert "Not an ID token" in reasons["an access token"]


def test_a_token_of_another_stack_is_refused(data_dir: Path, tmp_path: Path) -> None:
    ensure_key(tmp_path)
    with pytest.raises(InvalidToken, match="never published"):
        Verifier.of(data_dir).verify(Issuer(tmp_path).mint("ann"))


@pytest.mark.parametrize("subject", ["me", "", "has space", "x" * 101, "-dash-first", "a/b"])
def test_subjects_that_could_not_be_a_customer_are_refused(data_dir: Path, subject: str) -> None:
    with pytest.raises(ValueError, match="cannot be a subject"):
        Issuer(data_dir).mint(subject)


def test_no_key_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="make up"):
        Issuer(tmp_path)
    with pytest.raises(SystemExit, match="make up"):
        Verifier.of(tmp_path)


def test_a_key_made_meanwhile_by_another_process_is_kept(tmp_path: Path) -> None:
    ensure_key(tmp_path)
    kid = Issuer(tmp_path).kid
    os.remove(auth_dir(tmp_path) / JWKS_FILE)
    ensure_key(tmp_path)  # the JWKS is written again, of the same key
    assert Verifier.of(tmp_path).keys.keys() == {kid}


def request(method: str, path: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return proxy_event(method, path, headers, b"")


def test_the_adapter_refuses_protected_routes_and_passes_public_ones(data_dir: Path) -> None:
    verifier, issuer = Verifier.of(data_dir), Issuer(data_dir)
    denied = authorize(request("POST", "/shows"), verifier)
    assert denied is not None and denied["statusCode"] == 401
    assert denied["headers"]["WWW-Authenticate"] == "Bearer"
    assert set(json.loads(denied["body"])) == {"type", "title", "status", "detail"}
    assert denied["headers"]["Content-Type"] == "application/problem+json"
    for token in refused_tokens(issuer).values():
        assert authorize(request("GET", "/orders/x", token), verifier)["statusCode"] == 401  # type: ignore[index]
    public = request("GET", "/shows/x/seats", "garbage")
    assert authorize(public, verifier) is None and "authorizer" not in public["requestContext"]
    assert public["resource"] == "/shows/{show_id}/seats"
    unknown = request("GET", "/nowhere")
    assert authorize(unknown, verifier) is None  # the handler answers 404


def test_the_adapter_hands_on_claims_where_and_as_api_gateway_does(data_dir: Path) -> None:
    event = request("GET", "/customers/me/orders", Issuer(data_dir).mint("ann", organizer=True))
    assert authorize(event, Verifier.of(data_dir)) is None
    claims = event["requestContext"]["authorizer"]["claims"]
    assert all(isinstance(v, str) for v in claims.values())
    assert claims["cognito:groups"] == "organizers"
    assert claims["exp"].endswith(" UTC " + claims["exp"][-4:])  # e.g. Tue Apr 04 18:39:39 UTC 2023
    caller = caller_of(event)
    assert (caller.subject, caller.is_organizer) == ("ann", True)


def test_gateway_claims_are_strings() -> None:
    claims = gateway_claims({"exp": 0, "cognito:groups": ["a", "b"], "sub": "x", "n": 5})
    assert claims == {
        "exp": "Thu Jan 01 00:00:00 UTC 1970",
        "cognito:groups": "a,b",
        "sub": "x",
        "n": "5",
    }
