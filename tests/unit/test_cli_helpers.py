"""The command line's pure parts: where `--json` may go, and why a message was parked."""

from __future__ import annotations

import json
import os

import pytest

from cli.main import hoist_json
from cli.queues import reason_of


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


def test_with_aws_the_queues_and_tables_come_from_the_stacks_outputs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import boto3
    from botocore.stub import Stubber

    from cli.queues import aws_queues

    cloudformation = boto3.client("cloudformation", region_name="eu-west-1")
    queues = {
        "payment": {"queue": "https://sqs/p", "dead_letters": "https://sqs/p-dlq"},
        "indexer": {"dead_letters": "https://sqs/i-dlq"},
    }
    outputs = {"Queues": json.dumps(queues), "EventTableName": "SeatLedger-Events-1"}
    stub = Stubber(cloudformation)
    stub.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "Mine",
                    "CreationTime": "2026-01-01T00:00:00Z",
                    "StackStatus": "CREATE_COMPLETE",
                    "Outputs": [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()],
                }
            ]
        },
        {"StackName": "Mine"},
    )
    monkeypatch.setattr(boto3, "client", lambda service: cloudformation)
    monkeypatch.setenv("SEATLEDGER_STACK", "Mine")
    monkeypatch.setenv("DYNAMODB_TABLE", "")  # restored after: the command sets it
    monkeypatch.delenv("DYNAMODB_TABLE")
    with stub:
        found = aws_queues()
    assert [(q.name, q.dead_letters, q.source) for q in found] == [
        ("payment", "https://sqs/p-dlq", "https://sqs/p"),
        ("indexer", "https://sqs/i-dlq", None),
    ]
    assert os.environ["DYNAMODB_TABLE"] == "SeatLedger-Events-1"
