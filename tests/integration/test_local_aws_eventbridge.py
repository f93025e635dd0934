"""Provisioning and routing through moto's EventBridge: bus, archive, rules, queues, DLQs."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel

from infra.publisher import publish
from local.aws import ENDPOINT_VARS, LocalAws, RuleSpec, local_aws, provision

BUS = "ledger-bus"
RULES = [
    RuleSpec("seats", {"source": ["seatledger"], "detail-type": ["SeatReserved"]}, "seats"),
    RuleSpec("big-orders", {"detail": {"total": [{"numeric": [">=", 100]}]}}, "big-orders"),
]


@pytest.fixture(scope="module")
def aws() -> Iterator[LocalAws]:
    with local_aws(BUS, RULES, max_receive_count=7) as a:
        yield a


def receive(aws: LocalAws, url: str) -> list[dict[str, Any]]:
    messages = aws.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [json.loads(m["Body"]) for m in messages.get("Messages", [])]


def test_local_aws_points_boto3_at_moto_only_inside_the_block() -> None:
    before = {name: os.environ.get(name) for name in ENDPOINT_VARS}
    with local_aws("env-bus") as aws:
        assert boto3.client("events").meta.endpoint_url == aws.endpoint
        assert boto3.client("sqs").meta.endpoint_url == aws.endpoint
    assert {name: os.environ.get(name) for name in ENDPOINT_VARS} == before


def test_provision_creates_what_is_missing_and_changes_nothing_when_run_again(
    aws: LocalAws,
) -> None:
    # WHEN provisioned a second time from the same data
    again = provision(aws.events, aws.sqs, BUS, RULES, max_receive_count=7)
    # THEN the same resources are returned and nothing was duplicated
    assert again == aws.provisioned
    rules = [r["Name"] for r in aws.events.list_rules(EventBusName=BUS)["Rules"]]
    assert sorted(r for r in rules if not r.startswith("Events-Archive-")) == [
        "big-orders",
        "seats",
    ]
    assert len(aws.sqs.list_queues()["QueueUrls"]) == 4
    archive = aws.events.describe_archive(ArchiveName=f"{BUS}-archive")
    assert archive["EventSourceArn"] == aws.provisioned.bus_arn
    # AND each rule targets its queue, whose redrive policy names its own DLQ
    for rule in RULES:
        ref = aws.provisioned.queues[rule.name]
        targets = aws.events.list_targets_by_rule(Rule=rule.name, EventBusName=BUS)["Targets"]
        assert [t["Arn"] for t in targets] == [ref.arn]
        attrs = aws.sqs.get_queue_attributes(QueueUrl=ref.url, AttributeNames=["RedrivePolicy"])
        redrive = json.loads(attrs["Attributes"]["RedrivePolicy"])
        assert redrive["deadLetterTargetArn"] == ref.dlq_arn
        assert int(redrive["maxReceiveCount"]) == 7


def test_rules_route_published_events_to_their_queues_in_aws_envelope(aws: LocalAws) -> None:
    # GIVEN one event per rule and one that matches none
    def entry(detail_type: str, detail: dict[str, Any]) -> dict[str, Any]:
        detail_json = json.dumps(detail)
        return {
            "EventBusName": BUS,
            "Source": "seatledger",
            "DetailType": detail_type,
            "Detail": detail_json,
        }

    # WHEN published through the endpoint boto3 finds in the environment
    publish(
        boto3.client("events"),
        [
            entry("SeatReserved", {"seat": "A1"}),
            entry("OrderPlaced", {"total": 250}),
            entry("OrderPlaced", {"total": 5}),
        ],
    )
    # THEN each queue holds exactly the event its pattern matches
    seats = receive(aws, aws.provisioned.queues["seats"].url)
    orders = receive(aws, aws.provisioned.queues["big-orders"].url)
    assert [(e["detail-type"], e["detail"]) for e in seats] == [("SeatReserved", {"seat": "A1"})]
    assert [(e["detail-type"], e["detail"]) for e in orders] == [("OrderPlaced", {"total": 250})]
    # AND in the envelope AWS sends (moto alone would drop "account")
    for event in seats + orders:
        parsed = EventBridgeModel.model_validate(event)
        assert parsed.source == "seatledger" and parsed.region == "us-east-1"
        assert parsed.account.isdigit() and event["version"] == "0"
