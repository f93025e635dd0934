from __future__ import annotations

import pytest

from local.dynamodb import DynamoDBLocal


@pytest.fixture(autouse=True)
def _needs_dynamodb_local(dynamodb_local: DynamoDBLocal) -> None:
    """Every integration test runs against the session's DynamoDB Local."""
