"""Fault injection through botocore's event hooks, on a real client talking to DynamoDB Local."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.awsrequest import AWSResponse
from botocore.exceptions import ReadTimeoutError


class _Raw:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body


def error_response(code: str, status: int = 400, **extra: Any) -> AWSResponse:
    body = json.dumps(
        {"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": code, **extra}
    )
    headers = {"x-amzn-ErrorType": code, "Content-Type": "application/x-amz-json-1.0"}
    return AWSResponse("http://fault", status, headers, _Raw(body.encode()))


def cancelled(*codes: str) -> AWSResponse:
    reasons = [{"Code": c, "Message": c} for c in codes]
    return error_response("TransactionCanceledException", CancellationReasons=reasons)


@contextmanager
def inject(
    client: Any, operation: str, faults: list[Callable[[], Any]], stage: str = "before-send"
) -> Iterator[list[str]]:
    """Run one fault per matching call, in order, then let calls through.

    ``before-send``: the request never reaches the server (the fault is the answer).
    ``after-call``: the server applied the request, then the fault replaces its answer.
    Yields the list of operations the faults hit.
    """
    pending = list(faults)
    hits: list[str] = []

    def handler(**kwargs: Any) -> Any:
        if not pending:
            return None
        hits.append(operation)
        result = pending.pop(0)()
        return result

    event = f"{stage}.dynamodb.{operation}"
    client.meta.events.register(event, handler)
    try:
        yield hits
    finally:
        client.meta.events.unregister(event, handler)


def read_timeout() -> Any:
    raise ReadTimeoutError(endpoint_url="http://fault")
