"""Shared fixtures: one DynamoDB Local per test session, torn down even on Ctrl-C; and each
test's tier, so that each runs alone (`pytest -m unit`, `-m integration`, `-m e2e`, `-m cdk`,
`-m drill`, `-m deploy`)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from local.dynamodb import DynamoDBLocal

# No AWS account: fake credentials and a fixed region for every client the tests make.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_REGION", "us-east-1")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")  # no metric lines in test output
os.environ.setdefault("POWERTOOLS_TRACE_DISABLED", "true")  # no X-Ray daemon here


# A test's tier is its folder's, unless it is marked with another (a drill among the integration
# tests is a drill).
TIERS = {
    "unit": "unit",
    "integration": "integration",
    "e2e": "e2e",
    "cdk": "cdk",
    "drills": "drill",
    "deploy": "deploy",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    tests = Path(__file__).parent
    for item in items:
        if any(item.get_closest_marker(tier) for tier in TIERS.values()):
            continue
        folder = Path(item.path).relative_to(tests).parts[0]
        if folder not in TIERS:
            raise pytest.UsageError(f"{item.nodeid}: no tier for tests/{folder}/ (TIERS)")
        item.add_marker(TIERS[folder])


@pytest.fixture(scope="session")
def dynamodb_local() -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal().start()
    previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.endpoint
    try:
        yield server
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
        else:
            os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous


def fresh_table_name(prefix: str = "t") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"
