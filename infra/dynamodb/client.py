"""boto3 client, table creation and the retry policy shared by the recorders."""

from __future__ import annotations

import functools
import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlparse

import boto3
from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ReadTimeoutError,
)
from botocore.exceptions import ConnectionError as BotoConnectionError
from eventsourcing.persistence import OperationalError

from infra.retry import Backoff, error_code

T = TypeVar("T")

# Errors after which the request may or may not have been applied.
AMBIGUOUS_ERRORS = (ReadTimeoutError, ConnectionClosedError)
# Errors after which the request was certainly not applied.
UNSENT_ERRORS = (ConnectTimeoutError, EndpointConnectionError)
TRANSIENT_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
        "LimitExceededException",
    }
)


# Any failure to get an answer from the server at all (refused, reset, timed out).
UNREACHABLE_ERRORS = (HTTPClientError, BotoConnectionError)
logger = logging.getLogger("seatledger.dynamodb")


class Reachability:
    """Whether this process last reached DynamoDB, logged once per change rather than once
    per failed call (a dead server fails every call of every worker)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reachable = True

    def _set(self, reachable: bool, why: object = None) -> None:
        with self._lock:
            if reachable == self.reachable:
                return
            self.reachable = reachable
        if reachable:
            logger.warning("DynamoDB reachable again")
        else:
            logger.warning("DynamoDB unreachable (%s); retrying", why)

    def answered(self, **_: Any) -> None:
        self._set(True)

    def failed(self, exception: Exception | None = None, **_: Any) -> None:
        if isinstance(exception, UNREACHABLE_ERRORS):
            self._set(False, type(exception).__name__)


REACHABILITY = Reachability()


def make_client(endpoint_url: str | None, region: str | None) -> Any:
    """One thread-safe client per endpoint; retries are ours (see `Backoff`), not botocore's.

    Without an endpoint, boto3's own setting decides, read now: a cached client must not keep
    the endpoint of whatever was configured when it was first asked for."""
    endpoint = endpoint_url or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or None
    return _client(endpoint, region)


@functools.lru_cache(maxsize=16)
def _client(endpoint_url: str | None, region: str | None) -> Any:
    config = Config(
        retries={"total_max_attempts": 1, "mode": "standard"},
        connect_timeout=5,
        read_timeout=20,
        max_pool_connections=64,
        # Our requests are built by code, not users; the server validates them anyway.
        parameter_validation=False,
    )
    session = boto3.session.Session()
    key_id = secret = None
    if _is_loopback(endpoint_url) and session.get_credentials() is None:
        # DynamoDB Local accepts any credentials; do not make a local user invent some.
        key_id = secret = "local"
    client = session.client(
        "dynamodb",
        endpoint_url=endpoint_url or None,
        region_name=region or session.region_name or "us-east-1",
        config=config,
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    client.meta.events.register("after-call.dynamodb", REACHABILITY.answered)
    client.meta.events.register("after-call-error.dynamodb", REACHABILITY.failed)
    return client


def _is_loopback(endpoint_url: str | None) -> bool:
    host = urlparse(endpoint_url or "").hostname or ""
    return host in {"localhost", "::1"} or host.startswith("127.")


def call_with_retry(fn: Callable[..., T], backoff: Backoff, **kwargs: Any) -> T:
    """Call a read (or an idempotent write), retrying throttling and transient faults."""
    sleeps = backoff.sleeps()
    while True:
        try:
            return fn(**kwargs)
        except ClientError as e:
            if error_code(e) not in TRANSIENT_CODES:
                raise
            last: Exception = e
        except (*AMBIGUOUS_ERRORS, *UNSENT_ERRORS) as e:
            last = e
        try:
            time.sleep(next(sleeps))
        except StopIteration:
            raise OperationalError(f"DynamoDB still failing after retries: {last}") from last


_ensured: set[tuple[int, str]] = set()
_ensure_lock = threading.Lock()


def ensure_table(client: Any, table: str, stream: bool = True) -> None:
    """Create a table (pk: S, sk: N; the event table with stream NEW_IMAGE) if it is missing."""
    key = (id(client), table)
    with _ensure_lock:
        if key in _ensured:
            return
        try:
            client.create_table(
                TableName=table,
                AttributeDefinitions=[
                    {"AttributeName": "pk", "AttributeType": "S"},
                    {"AttributeName": "sk", "AttributeType": "N"},
                ],
                KeySchema=[
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "sk", "KeyType": "RANGE"},
                ],
                BillingMode="PAY_PER_REQUEST",
                **(
                    {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}}
                    if stream
                    else {}
                ),
            )
        except ClientError as e:
            if error_code(e) != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(
            TableName=table, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
        _ensured.add(key)
