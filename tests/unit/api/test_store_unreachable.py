"""While the store is unreachable the API answers 503 with Retry-After, never 500: a request
the handler cannot serve because DynamoDB does not answer (here: nothing listens on its port)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from infra.api import context, routes
from local.dynamodb import free_port
from local.runners.lambda_runtime import LocalContext
from tests.unit.api.test_auth import event as with_claims


@pytest.fixture
def nowhere(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "x")
    context._app.cache_clear()
    yield routes.build_resolver()
    context._app.cache_clear()


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", f"/orders/{uuid.uuid4()}", None),
        ("POST", f"/shows/{uuid.uuid4()}/orders", '{"seats": ["A-1"], "payment_token": "t"}'),
    ],
)
def test_an_unreachable_store_is_503_with_retry_after(
    nowhere: Any, method: str, path: str, body: str | None
) -> None:
    raw = {
        "httpMethod": method,
        "path": path,
        "resource": "/{proxy+}",
        "headers": {"Content-Type": "application/json", "Idempotency-Key": "k"},
        "queryStringParameters": None,
        "body": body,
        "isBase64Encoded": False,
        **with_claims({"sub": "ann"}),
    }
    answer = nowhere.resolve(raw, LocalContext("api"))
    assert answer["statusCode"] == 503, answer
    headers = answer.get("multiValueHeaders") or {}
    assert (answer.get("headers") or {}).get("Retry-After") == "1" or headers.get(
        "Retry-After"
    ) == ["1"], answer
