"""The command line's pure parts: where `--json` may go, and why a message was parked."""

from __future__ import annotations

import json

import pytest

from infra.cli.main import hoist_json
from infra.cli.queues import reason_of


@pytest.mark.parametrize(
    ("given", "read_as"),
    [
        (["query", "orders", "--json"], ["--json", "query", "orders"]),
        (["--json", "status"], ["--json", "status"]),
        (["dlq", "--json", "list", "--json"], ["--json", "dlq", "list"]),
        (["status"], ["status"]),
        # After `--` it is an argument, not the option.
        (["publish", "X", "--", "--json"], ["publish", "X", "--", "--json"]),
    ],
)
def test_json_is_read_wherever_it_is_given(given: list[str], read_as: list[str]) -> None:
    assert hoist_json(given) == read_as


def attributes(**values: str) -> dict[str, dict[str, str]]:
    return {k: {"DataType": "String", "StringValue": v} for k, v in values.items()}


def test_a_handlers_reason_comes_first() -> None:
    message = {"Body": "{}", "MessageAttributes": attributes(reason="not JSON", source="x")}
    assert reason_of(message) == "not JSON"


def test_eventbridges_delivery_error() -> None:
    message = {
        "Body": "{}",
        "MessageAttributes": attributes(ERROR_CODE="SQS.Throttled", ERROR_MESSAGE="slow down"),
    }
    assert reason_of(message) == "SQS.Throttled: slow down"


def test_a_stream_batch_given_up_by_lambda_or_the_local_poller() -> None:
    aws = {
        "requestContext": {"condition": "RetryAttemptsExhausted"},
        "responseContext": {"functionError": "Unhandled"},
    }
    local = {"condition": "RetryAttemptsExhausted", "reason": "bus down"}
    assert reason_of({"Body": json.dumps(aws)}) == "RetryAttemptsExhausted: Unhandled"
    assert reason_of({"Body": json.dumps(local)}) == "RetryAttemptsExhausted: bus down"


def test_no_reason_given_means_the_redrive_policy_moved_it() -> None:
    message = {"Body": "whatever", "Attributes": {"ApproximateReceiveCount": "6"}}
    assert "redrive policy" in reason_of(message) and "6 times" in reason_of(message)
