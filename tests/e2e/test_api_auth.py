"""Who may call what, on `make up`'s stack: tokens from `seatledger token`, refused ones made as
someone without the issuer's key would make them (tests/tokens.py)."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import pytest

from infra.api.endpoints import ENDPOINTS, endpoint_for
from local.auth import Issuer
from tests.e2e.conftest import Api
from tests.e2e.test_cli_history import refused
from tests.e2e.test_ledger_api import new_show, order
from tests.problems import kind
from tests.tokens import refused_tokens

ALICE, BOB = "auth-alice", "auth-bob"
Request = tuple[str, str, Any]


@pytest.fixture(scope="module")
def world(stack: Api) -> tuple[str, str]:
    """A show, and an order of Alice's."""
    show = new_show(stack, ["A-1", "A-2", "A-3"])
    return show, order(stack, show, ALICE, ["A-1"], "tok_visa")


def protected_requests(show: str, order_id: str) -> list[Request]:
    """One request per protected route (and both forms of a customer's listing)."""
    return [
        ("POST", "/shows", {"name": "never", "seats": [{"label": "A-1", "price_cents": 1}]}),
        ("POST", f"/shows/{show}/orders", {"seats": ["A-2"], "payment_token": "tok_visa"}),
        ("GET", f"/orders/{order_id}", None),
        ("POST", f"/orders/{order_id}/cancel", None),
        ("GET", f"/customers/{ALICE}/orders", None),
        ("GET", "/customers/me/orders", None),
        ("GET", "/dev/gateway/charges", None),
        ("GET", "/dev/gateway/refunds", None),
    ]


def test_the_matrix_covers_every_protected_route() -> None:
    covered = {endpoint_for(m, p) for m, p, _ in protected_requests("s", "o")}
    assert covered == {e for e in ENDPOINTS if not e.public}


def test_every_protected_route_refuses_a_missing_or_invalid_token_with_401(
    stack: Api, world: tuple[str, str]
) -> None:
    show, order_id = world
    bad = {"no token": None, **refused_tokens(Issuer(stack.data_dir))}
    headers = {"Basic credentials": "Basic YWxpY2U6cHc=", "Bearer and nothing": "Bearer "}
    tried = 0
    for method, path, body in protected_requests(show, order_id):
        attempts = [({}, name, token) for name, token in bad.items()]
        attempts += [({"Authorization": value}, name, None) for name, value in headers.items()]
        for extra, name, token in attempts:
            status, answer = stack.call(method, path, body, extra, token=token)
            assert status == 401, (method, path, name, answer)
            assert kind(answer) == "unauthorized" and answer["detail"], (name, answer)
            assert set(answer) == {"type", "title", "status", "detail"}
            tried += 1
    assert tried == 8 * (len(bad) + len(headers))
    status, _ = stack.call("GET", f"/customers/{ALICE}/orders", token=stack.token(ALICE))
    assert status == 200  # the same route with a good token


def test_a_customer_is_refused_an_organizers_rights_with_403(
    stack: Api, world: tuple[str, str]
) -> None:
    alice = stack.token(ALICE)
    show_id = str(uuid.uuid4())
    for method, path, body in [
        (
            "POST",
            "/shows",
            {"show_id": show_id, "name": "x", "seats": [{"label": "A-1", "price_cents": 1}]},
        ),
        ("GET", "/dev/gateway/charges", None),
        ("GET", "/dev/gateway/refunds", None),
    ]:
        status, answer = stack.call(method, path, body, token=alice)
        assert (status, kind(answer)) == (403, "forbidden"), answer
        assert answer["detail"]
    assert stack.call("GET", f"/shows/{show_id}/seats")[0] == 404  # nothing was created


def test_another_customers_order_is_unknown_and_their_list_forbidden(
    stack: Api, world: tuple[str, str]
) -> None:
    _, order_id = world
    bob = stack.token(BOB)
    status, answer = stack.call("GET", f"/orders/{order_id}", token=bob)
    unknown = str(uuid.uuid4())
    status_unknown, answer_unknown = stack.call("GET", f"/orders/{unknown}", token=bob)
    assert status == status_unknown == 404
    # Indistinguishable from an order that does not exist: an order id can be guessed.
    assert answer == {
        k: v.replace(unknown, order_id) if isinstance(v, str) else v
        for k, v in answer_unknown.items()
    }
    status, answer = stack.call("GET", f"/customers/{ALICE}/orders", token=bob)
    assert (status, kind(answer)) == (403, "forbidden") and answer["detail"]


def test_each_caller_sees_what_is_theirs_and_an_organizer_sees_all(
    stack: Api, world: tuple[str, str]
) -> None:
    show, order_id = world
    alice, organizer = stack.token(ALICE), stack.organizer
    for token in (alice, organizer):
        status, seen = stack.call("GET", f"/orders/{order_id}", token=token)
        assert (status, seen["customer_id"]) == (200, ALICE)
        status, listed = stack.call("GET", f"/customers/{ALICE}/orders", token=token)
        assert status == 200 and order_id in [o["order_id"] for o in listed["orders"]]
    _, mine = stack.call("GET", "/customers/me/orders", token=alice)
    assert [o["order_id"] for o in mine["orders"]] == [order_id]
    _, theirs = stack.call("GET", "/customers/me/orders", token=stack.token(BOB))
    assert theirs == {"orders": [], "next_cursor": None}
    # The order is in the caller's name; a body naming a customer is refused.
    card = {"seats": ["A-3"], "payment_token": "tok_visa"}
    status, answer = stack.call(
        "POST", f"/shows/{show}/orders", {**card, "customer_id": ALICE}, token=stack.token(BOB)
    )
    assert status == 422 and "customer_id" in answer["detail"]
    bobs = order(stack, show, BOB, ["A-3"], "tok_visa")
    assert stack.call("GET", f"/orders/{bobs}", token=stack.token(BOB))[1]["customer_id"] == BOB
    assert stack.call("GET", f"/orders/{bobs}", token=alice)[0] == 404


def test_public_routes_need_no_token_and_ignore_a_bad_one(
    stack: Api, world: tuple[str, str]
) -> None:
    show, _ = world
    public = [e for e in ENDPOINTS if e.public]
    assert {e.path for e in public} == {
        "/",
        "/openapi.json",
        "/docs",
        "/shows",
        "/shows/{show_id}",
        "/shows/{show_id}/seats",
        "/shows/{show_id}/seats/compact",
    }
    for endpoint in public:
        path = endpoint.path.replace("{show_id}", show)
        for token in (None, "not-a-jwt"):
            request = urllib.request.Request(stack.url + path)
            if token:
                request.add_header("Authorization", f"Bearer {token}")
            with urllib.request.urlopen(request, timeout=30) as answer:
                assert answer.status == 200, path


def test_the_issuer_publishes_its_key_and_nothing_private(stack: Api) -> None:
    with urllib.request.urlopen(f"{stack.url}/.well-known/jwks.json", timeout=30) as answer:
        jwks = json.loads(answer.read())
    (key,) = jwks["keys"]
    assert key["kid"] == Issuer(stack.data_dir).kid and key["alg"] == "RS256"
    assert not {"d", "p", "q", "dp", "dq", "qi"} & set(key)
    key_file = stack.data_dir / "auth" / "signing-key.pem"
    assert key_file.stat().st_mode & 0o777 == 0o600


def test_seatledger_token_prints_a_usable_token(stack: Api, tmp_path: Path) -> None:
    plain = stack.cli("token", "tok-user")
    assert plain.returncode == 0, plain.stderr
    token = plain.stdout.strip()
    assert plain.stdout.count("\n") == 1 and token.count(".") == 2
    assert stack.call("GET", "/customers/me/orders", token=token) == (
        200,
        {"orders": [], "next_cursor": None},
    )
    assert stack.call("POST", "/shows", {"name": "x"}, token=token)[0] == 403

    made = json.loads(stack.cli("token", "tok-boss", "--organizer", "--json").stdout)
    assert made["subject"] == "tok-boss" and made["organizer"] is True
    assert stack.call("GET", "/dev/gateway/charges", token=made["token"])[0] == 200
    also = json.loads(stack.cli("--json", "token", "tok-boss").stdout)
    assert set(also) >= {"token"} and also["organizer"] is False

    brief = json.loads(stack.cli("token", "tok-brief", "--expires-in", "1", "--json").stdout)
    deadline = time.monotonic() + 30  # good for a second, then refused: wait for that
    while (found := stack.call("GET", "/customers/me/orders", token=brief["token"]))[0] == 200:
        assert time.monotonic() < deadline, found
        time.sleep(0.2)
    status, answer = found
    assert (status, answer["detail"]) == (401, "The token has expired")


def test_seatledger_token_mistakes(stack: Api, tmp_path: Path) -> None:
    assert "cannot be a subject" in refused(stack, 5, "token", "me")
    assert "cannot be a subject" in refused(stack, 5, "token", "has space")
    assert "Cognito" in refused(stack, 2, "--aws", "token", "alice")
    assert refused(stack, 2, "token", "alice", "--expires-in", "0")
    nowhere = Api("http://127.0.0.1:1", tmp_path)
    assert "not running" in refused(nowhere, 4, "token", "alice")
