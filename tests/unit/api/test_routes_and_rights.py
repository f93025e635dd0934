"""The API's routes against `infra.api.endpoints` (the list the CDK stack and the local adapter
share), and the refusals its handler gives before it touches any table."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from infra.api.endpoints import ENDPOINTS, endpoint_for
from infra.api.problems import slug
from infra.api.routes import build_resolver
from infra.settings import ENV_VARS
from local.dynamodb import PROJECT_ROOT
from local.runners.lambda_runtime import LocalContext
from tests.problems import kind
from tests.unit.api.test_auth import event as with_claims

PUBLIC = {
    ("GET", "/"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/shows"),
    ("GET", "/shows/{show_id}"),
    ("GET", "/shows/{show_id}/seats"),
    ("GET", "/shows/{show_id}/seats/compact"),
}
SHOW = "3f1c1a52-0000-4000-8000-000000000001"


@pytest.fixture(scope="module")
def resolver(request: pytest.FixtureRequest) -> Any:
    patch = pytest.MonkeyPatch()
    patch.setenv(ENV_VARS["dev_routes"], "1")
    request.addfinalizer(patch.undo)
    return build_resolver()


def test_the_endpoint_list_is_exactly_what_the_resolver_serves(resolver: Any) -> None:
    served = {
        (r.method, r.openapi_path) for r in resolver._static_routes + resolver._dynamic_routes
    }
    assert served == {(e.method, e.path) for e in ENDPOINTS}
    assert {(e.method, e.path) for e in ENDPOINTS if e.public} == PUBLIC
    assert [e.path for e in ENDPOINTS if e.local_only] == [
        "/dev/gateway/charges",
        "/dev/gateway/refunds",
    ]


def test_requests_find_their_endpoint() -> None:
    assert endpoint_for("GET", f"/shows/{SHOW}/seats").public  # type: ignore[union-attr]
    assert not endpoint_for("POST", f"/shows/{SHOW}/orders").public  # type: ignore[union-attr]
    assert endpoint_for("GET", "/customers/me/orders").path == "/customers/{customer_id}/orders"  # type: ignore[union-attr]
    for method, path in [
        ("DELETE", "/shows"),
        ("GET", "/shows/x/seats/y"),
        ("GET", "/shows//seats"),
        ("GET", "/openapi.jsonx"),
        ("GET", "/orders"),
    ]:
        assert endpoint_for(method, path) is None, (method, path)


def test_the_spec_asks_a_token_of_every_protected_operation_and_no_customer_in_the_body(
    resolver: Any,
) -> None:
    spec = json.loads(resolver.get_openapi_json_schema())
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            public = (method.upper(), path) in PUBLIC
            assert operation.get("security") == (None if public else [{"bearer": []}]), path
            assert public or "401" in operation["responses"], path
    assert "customer_id" not in spec["components"]["schemas"]["PlaceOrder"]["properties"]


def call(resolver: Any, method: str, path: str, claims: Any = None, body: Any = None) -> Any:
    raw: dict[str, Any] = {
        "httpMethod": method,
        "path": path,
        "resource": "/{proxy+}",
        "headers": {"Content-Type": "application/json", "Idempotency-Key": "k"},
        "queryStringParameters": None,
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
        **(with_claims(claims) if claims is not None else {"requestContext": {}}),
    }
    answer = resolver.resolve(raw, LocalContext("api"))
    return answer["statusCode"], json.loads(answer["body"])


CUSTOMER = {"sub": "ann"}
SHOW_BODY = {"name": "x", "seats": [{"label": "A-1", "price_cents": 1}]}


@pytest.mark.parametrize(
    ("method", "path", "claims", "body", "status", "error"),
    [
        ("POST", "/shows", None, SHOW_BODY, 401, "Unauthorized"),
        (
            "POST",
            f"/shows/{SHOW}/orders",
            None,
            {"seats": ["A-1"], "payment_token": "t"},
            401,
            "Unauthorized",
        ),
        ("GET", f"/orders/{SHOW}", None, None, 401, "Unauthorized"),
        ("GET", "/customers/me/orders", None, None, 401, "Unauthorized"),
        ("GET", "/dev/gateway/charges", None, None, 401, "Unauthorized"),
        ("POST", "/shows", CUSTOMER, SHOW_BODY, 403, "Forbidden"),
        ("POST", "/shows", {**CUSTOMER, "cognito:groups": "sales"}, SHOW_BODY, 403, "Forbidden"),
        ("GET", "/dev/gateway/charges", CUSTOMER, None, 403, "Forbidden"),
        ("GET", "/customers/bob/orders", CUSTOMER, None, 403, "Forbidden"),
        ("GET", "/customers/Ann/orders", CUSTOMER, None, 403, "Forbidden"),
        ("GET", "/no/such/route", CUSTOMER, None, 404, "NotFound"),
    ],
)
def test_refusals_come_before_any_table_is_read(
    resolver: Any, method: str, path: str, claims: Any, body: Any, status: int, error: str
) -> None:
    """No DynamoDB here: a route that read a table before refusing would fail to connect."""
    answer = call(resolver, method, path, claims, body)
    assert answer[0] == status and kind(answer[1]) == slug(error), answer
    assert answer[1]["detail"]


def test_what_runs_in_lambda_never_imports_the_local_issuer() -> None:
    """The handler reads claims only: no JWT library, no key, no local module."""
    probe = (
        "import sys, handlers.api; "
        "bad = [m for m in sys.modules "
        "if m == 'jwt' or m.split('.')[0] in ('local', 'cli', 'cdk')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=PROJECT_ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr


ORGANIZER = {"sub": "olga", "cognito:groups": "organizers"}


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "x", "seats": [{"label": "A-1", "price_cents": 1' + "0" * 5000 + "}]}",
        '{"name": "x", "seats": [{"label": "A-1", "price_cents": "100"}]}',
        '{"name": "x", "seats": [{"label": "A-1", "price_cents": true}]}',
        '{"name": "x", "seats": [{"label": "A-1\\u0000", "price_cents": 100}]}',
        '{"name": "x", "sections": [{"name": "n\\u001b", "rows": ["A"], "seats_per_row": 2, '
        '"price_cents": 100}]}',
        '{"name": "x", "sections": [{"name": "n", "rows": ["A"], "seats_per_row": "2", '
        '"price_cents": 100}]}',
    ],
)
def test_a_layout_of_strings_for_numbers_or_huge_numbers_is_422_before_any_table(
    resolver: Any, body: str
) -> None:
    raw = {
        "httpMethod": "POST",
        "path": "/shows",
        "resource": "/{proxy+}",
        "headers": {"Content-Type": "application/json"},
        "queryStringParameters": None,
        "body": body,
        "isBase64Encoded": False,
        **with_claims(ORGANIZER),
    }
    answer = resolver.resolve(raw, LocalContext("api"))
    problem = json.loads(answer["body"])
    assert (answer["statusCode"], kind(problem)) == (422, "validation-error"), answer
    assert problem["detail"]


@pytest.mark.parametrize("cursor", ["x", "bm90IGpzb24", "WzEsMl0", "WyJhIiwgIm9yZGVyIzEiXQ"])
def test_a_cursor_the_api_did_not_give_is_422_before_any_table(resolver: Any, cursor: str) -> None:
    raw = {
        "httpMethod": "GET",
        "path": "/shows",
        "resource": "/{proxy+}",
        "headers": {},
        "queryStringParameters": {"cursor": cursor},
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {},
    }
    answer = resolver.resolve(raw, LocalContext("api"))
    assert answer["statusCode"] == 422, answer
    assert kind(json.loads(answer["body"])) == "validation-error"


def test_the_docs_page_is_swagger_ui_over_the_spec_with_nothing_from_a_cdn(resolver: Any) -> None:
    raw: dict[str, Any] = {
        "httpMethod": "GET",
        "path": "/docs",
        "resource": "/{proxy+}",
        "headers": {},
        "queryStringParameters": None,
        "body": None,
        "isBase64Encoded": False,
        "requestContext": {"stage": "v1", "path": "/v1/docs"},
    }
    answer = resolver.resolve(raw, LocalContext("api"))
    assert answer["statusCode"] == 200
    page = answer["body"]
    assert "SwaggerUIBundle" in page and "https://" not in page.split("<body")[0]
    assert '"title":"seatledger"' in page.replace(" ", "")
    assert "/shows/{show_id}/orders" in page and '"bearer"' in page


def test_a_body_api_gateway_base64_encodes_is_read_as_the_json_it_carries() -> None:
    """The stack's binary media type (*/*) makes API Gateway hand every body over base64-encoded:
    the handler decodes it, so a valid body reaches the auth check (401 without a token, not a
    400), and a body that is not JSON underneath is a 400 that says so."""
    import base64

    from handlers.api import handler

    def send(body: bytes) -> tuple[int, dict[str, Any]]:
        raw = {
            "httpMethod": "POST",
            "path": "/shows",
            "headers": {"Content-Type": "application/json"},
            "body": base64.b64encode(body).decode(),
            "isBase64Encoded": True,
            "requestContext": {},
        }
        answer = handler(raw, LocalContext("api"))
        return answer["statusCode"], json.loads(answer["body"])

    assert send(json.dumps(SHOW_BODY).encode())[0] == 401
    status, problem = send(b"{not json")
    assert (status, kind(problem)) == (400, "bad-request") and "not JSON" in problem["detail"]
    status, problem = send(b"\xff\xfe")
    assert (status, problem["detail"]) == (400, "body: not UTF-8")
