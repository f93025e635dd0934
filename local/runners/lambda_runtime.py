"""What the runners share with the Lambda service: the context object and invocation rules."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any

Handler = Callable[[dict[str, Any], Any], Any]


class WholeBatchFailure(Exception):
    """Lambda would treat the whole batch as failed (raised, or an invalid partial response)."""


@dataclass
class LocalContext:
    """The attributes of Lambda's context object that handlers and Powertools read."""

    function_name: str
    timeout_seconds: float = 30.0
    memory_limit_in_mb: int = 128
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    _deadline: float = field(default=0.0, repr=False)

    def __post_init__(self) -> None:
        self._deadline = time.monotonic() + self.timeout_seconds

    @property
    def invoked_function_arn(self) -> str:
        return f"arn:aws:lambda:local:000000000000:function:{self.function_name}"

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return "local"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def invoke(handler: Handler, event: dict[str, Any], function_name: str) -> Any:
    """Call the handler as Lambda does: the event and the answer cross a JSON boundary."""
    payload = json.loads(json.dumps(event))
    try:
        response = handler(payload, LocalContext(function_name))
        return json.loads(json.dumps(response))
    except Exception as e:  # any error fails the invocation, as in Lambda
        raise WholeBatchFailure(f"{function_name} failed: {e!r}") from e


def failed_items(response: Any, identifiers: Collection[str]) -> set[str]:
    """The identifiers a partial batch response names; raises when Lambda would fail it all.

    A missing, null or empty ``batchItemFailures`` means success. A null, empty or unknown
    ``itemIdentifier`` makes the whole batch a failure.
    """
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failed = set()
    for failure in response["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or identifier not in identifiers:
            raise WholeBatchFailure(f"invalid batch item failure: {failure!r}")
        failed.add(identifier)
    return failed
