"""The stack's data path: tables, indexer, stream forwarder, bus, rules and queues."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import CfnElement
from aws_cdk.assertions import Match

from infra.rules import RULES
from infra.tables import TABLES, create_request
from tests.cdk.conftest import Synthesized, arn, ref

TIP_FILTER = {"dynamodb": {"NewImage": {"kind": {"S": ["tip"]}}}}
FORWARDER = "handlers.stream_forwarder.handler"
INDEXER = "handlers.indexer.handler"
CATCH_UP = "handlers.catch_up.handler"


def _event_table(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    (found,) = [
        (k, r)
        for k, r in synth.of_type("AWS::DynamoDB::Table").items()
        if "StreamSpecification" in r["Properties"]
    ]
    return found


def _index_table(synth: Synthesized) -> tuple[str, dict[str, Any]]:
    index = synth.stack.storage.index.node.default_child
    assert isinstance(index, CfnElement)
    table_id = synth.stack.get_logical_id(index)
    return table_id, synth.resources[table_id]


def _stream_consumers(synth: Synthesized) -> dict[str, dict[str, Any]]:
    """handler -> its mapping on the event table's stream, and the function."""
    table_id, _ = _event_table(synth)
    consumers = {}
    for resource in synth.of_type("AWS::Lambda::EventSourceMapping").values():
        mapping = resource["Properties"]
        if mapping["EventSourceArn"] == {"Fn::GetAtt": [table_id, "StreamArn"]}:
            function = synth.resources[mapping["FunctionName"]["Ref"]]["Properties"]
            assert function["Handler"] not in consumers, "two mappings for one handler"
            consumers[function["Handler"]] = {"mapping": mapping, "function": function}
    return consumers


def _bus_rules(synth: Synthesized) -> list[dict[str, Any]]:
    """The rules matching events, i.e. all but the catch-up's schedule."""
    return [
        r["Properties"]
        for r in synth.of_type("AWS::Events::Rule").values()
        if "ScheduleExpression" not in r["Properties"]
    ]


def _consumer_of(synth: Synthesized, source: dict[str, Any]) -> dict[str, Any]:
    """The event source mapping reading `source`, and the function it feeds."""
    (mapping,) = [
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::EventSourceMapping").values()
        if r["Properties"]["EventSourceArn"] == source
    ]
    function = synth.resources[mapping["FunctionName"]["Ref"]]["Properties"]
    return {"mapping": mapping, "function": function}


def test_event_table_streams_new_images_and_is_protected(synth: Synthesized) -> None:
    table_id, table = _event_table(synth)
    props = table["Properties"]
    assert props["StreamSpecification"] == {"StreamViewType": "NEW_IMAGE"}
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert {"AttributeName": "sk", "AttributeType": "N"} in props["AttributeDefinitions"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert table["DeletionPolicy"] == "Retain"


def test_every_table_has_point_in_time_recovery(synth: Synthesized) -> None:
    synth.template.resource_count_is("AWS::DynamoDB::Table", 2 + len(TABLES))
    synth.template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {"PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True}},
    )


@pytest.mark.parametrize("spec", TABLES, ids=lambda s: s.role)
def test_tables_have_the_shape_the_local_stack_creates(synth: Synthesized, spec: Any) -> None:
    expected = create_request(spec, "unused")
    shapes = [
        {
            "KeySchema": p["KeySchema"],
            "AttributeDefinitions": sorted(p["AttributeDefinitions"], key=str),
            "GlobalSecondaryIndexes": p.get("GlobalSecondaryIndexes", []),
        }
        for p in (r["Properties"] for r in synth.of_type("AWS::DynamoDB::Table").values())
    ]
    assert {
        "KeySchema": expected["KeySchema"],
        "AttributeDefinitions": sorted(expected["AttributeDefinitions"], key=str),
        "GlobalSecondaryIndexes": expected.get("GlobalSecondaryIndexes", []),
    } in shapes


def test_index_table_is_kept_and_recoverable(synth: Synthesized) -> None:
    _, table = _index_table(synth)
    props = table["Properties"]
    assert props["KeySchema"] == [
        {"AttributeName": "pk", "KeyType": "HASH"},
        {"AttributeName": "sk", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=str) == [
        {"AttributeName": "pk", "AttributeType": "S"},
        {"AttributeName": "sk", "AttributeType": "N"},
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert "StreamSpecification" not in props and "GlobalSecondaryIndexes" not in props
    # Consumers track positions in it, which a rebuild would change: kept, like the events.
    assert table["DeletionPolicy"] == "Retain"
    assert props["DeletionProtectionEnabled"] is True


def test_stream_mappings_read_tips_and_fail_safely(synth: Synthesized) -> None:
    consumers = _stream_consumers(synth)
    assert set(consumers) == {FORWARDER, INDEXER}
    for handler, consumer in consumers.items():
        mapping = consumer["mapping"]
        assert mapping["StartingPosition"] == "TRIM_HORIZON", handler
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"], handler
        assert mapping["BisectBatchOnFunctionError"] is True, handler
        filters = mapping["FilterCriteria"]["Filters"]
        assert [json.loads(f["Pattern"]) for f in filters] == [TIP_FILTER], handler
        on_failure = mapping["DestinationConfig"]["OnFailure"]["Destination"]
        queue_id = on_failure["Fn::GetAtt"][0]
        assert synth.resources[queue_id]["Type"] == "AWS::SQS::Queue", handler
        # Undecodable records go to the same queue, by the URL the handler reads.
        env = consumer["function"]["Environment"]["Variables"]
        assert env["DEAD_LETTER_QUEUE_URL"] == ref(queue_id), handler


def test_forwarder_mapping_is_parallel_and_bounded(synth: Synthesized) -> None:
    consumer = _stream_consumers(synth)[FORWARDER]
    mapping = consumer["mapping"]
    # Order is needed per aggregate (per tip item) only, which a parallelized shard keeps.
    assert mapping["ParallelizationFactor"] == 10
    assert 0 <= mapping["MaximumRetryAttempts"] <= 100
    assert 60 <= mapping["MaximumRecordAgeInSeconds"] <= 86_400
    assert "ReservedConcurrentExecutions" not in consumer["function"]


def test_indexer_mapping_never_skips_and_has_one_writer(synth: Synthesized) -> None:
    consumer = _stream_consumers(synth)[INDEXER]
    mapping = consumer["mapping"]
    assert mapping["BatchSize"] == 1000
    assert mapping["ParallelizationFactor"] == 1
    # -1 is infinite: a failing batch is retried until indexed, never aged out.
    assert mapping["MaximumRetryAttempts"] == -1
    assert mapping.get("MaximumRecordAgeInSeconds", -1) == -1
    assert consumer["function"]["ReservedConcurrentExecutions"] == 1


def test_one_rule_per_spec_with_its_exact_pattern(synth: Synthesized) -> None:
    rules = _bus_rules(synth)
    assert len(rules) == len(RULES)
    (bus_id,) = synth.of_type("AWS::Events::EventBus")
    for spec in RULES:
        matching = [r for r in rules if r["EventPattern"] == spec.event_pattern]
        assert len(matching) == 1, f"{spec.name}: no rule with pattern {spec.event_pattern}"
        props = matching[0]
        assert props["EventBusName"] == ref(bus_id)
        (target,) = props["Targets"]
        queue_id = target["Arn"]["Fn::GetAtt"][0]
        assert synth.resources[queue_id]["Type"] == "AWS::SQS::Queue"
        consumer = _consumer_of(synth, arn(queue_id))
        assert consumer["function"]["Handler"] == spec.handler
        assert consumer["mapping"]["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


def test_bus_has_an_archive(synth: Synthesized) -> None:
    (bus_id,) = synth.of_type("AWS::Events::EventBus")
    synth.template.has_resource_properties(
        "AWS::Events::Archive", {"SourceArn": arn(bus_id), "RetentionDays": Match.any_value()}
    )


def test_every_rule_target_queue_redrives_to_a_dead_letter_queue(synth: Synthesized) -> None:
    for rule in _bus_rules(synth):
        for target in rule["Targets"]:
            queue_id = target["Arn"]["Fn::GetAtt"][0]
            queue = synth.resources[queue_id]["Properties"]
            redrive = queue.get("RedrivePolicy")
            assert redrive, f"{queue_id} has no redrive policy"
            assert 1 <= redrive["maxReceiveCount"] <= 10
            dlq_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
            assert synth.resources[dlq_id]["Type"] == "AWS::SQS::Queue"
            # EventBridge's own delivery failures land in the same dead-letter queue.
            assert target["DeadLetterConfig"]["Arn"] == arn(dlq_id)
            # A message must not reappear while a slow invocation still holds it.
            timeout = _consumer_of(synth, arn(queue_id))["function"]["Timeout"]
            assert queue["VisibilityTimeout"] >= 6 * timeout


def test_every_queue_is_encrypted_and_tls_only(synth: Synthesized) -> None:
    queues = synth.of_type("AWS::SQS::Queue")
    # Two on-failure queues, the catch-up schedule's dead-letter queue, two per rule.
    assert len(queues) == 3 + 2 * len(RULES)
    for queue_id, queue in queues.items():
        assert queue["Properties"].get("SqsManagedSseEnabled") is True, queue_id
        synth.template.has_resource_properties(
            "AWS::SQS::QueuePolicy",
            {
                "Queues": [ref(queue_id)],
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [
                            Match.object_like(
                                {
                                    "Effect": "Deny",
                                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                                }
                            )
                        ]
                    )
                },
            },
        )


def test_catch_up_runs_every_minute_one_run_at_a_time(synth: Synthesized) -> None:
    (schedule_id,) = [
        k
        for k, r in synth.of_type("AWS::Events::Rule").items()
        if "ScheduleExpression" in r["Properties"]
    ]
    schedule = synth.resources[schedule_id]["Properties"]
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    assert schedule.get("State", "ENABLED") == "ENABLED"
    assert "EventPattern" not in schedule and "EventBusName" not in schedule  # default bus
    (target,) = schedule["Targets"]
    function_id = target["Arn"]["Fn::GetAtt"][0]
    function = synth.resources[function_id]["Properties"]
    assert function["Handler"] == CATCH_UP
    assert function["ReservedConcurrentExecutions"] == 1
    # Long enough to drain a backlog in one run, within Lambda's limit.
    assert 60 < function["Timeout"] <= 900
    # A missed minute is caught up by the next run: retry little, and not for long.
    assert target["RetryPolicy"]["MaximumRetryAttempts"] <= 2
    assert target["RetryPolicy"]["MaximumEventAgeInSeconds"] <= 120
    (invoke_config,) = [
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::EventInvokeConfig").values()
        if r["Properties"]["FunctionName"] == ref(function_id)
    ]
    assert invoke_config["MaximumRetryAttempts"] == 0
    assert invoke_config["MaximumEventAgeInSeconds"] <= 120
    # Invocations EventBridge could not make are parked, and their queue alarms.
    queue_id = target["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
    assert synth.resources[queue_id]["Type"] == "AWS::SQS::Queue"
    watched = [
        a["Properties"]["Dimensions"]
        for a in synth.of_type("AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    assert [{"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}] in watched
    # Only this rule may invoke it.
    (permission,) = [
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::Permission").values()
        if r["Properties"]["FunctionName"] == arn(function_id)
    ]
    assert permission["Principal"] == "events.amazonaws.com"
    assert permission["SourceArn"] == arn(schedule_id)


def test_the_queues_output_names_each_queue_and_where_its_dead_letters_go_back(
    synth: Synthesized,
) -> None:
    """`seatledger --aws dlq|status` finds the queues through this output alone."""
    outputs = json.loads(synth.template_path.read_text())["Outputs"]
    separator, parts = outputs["Queues"]["Value"]["Fn::Join"]
    # Each queue URL as its logical id, so the output reads as the JSON the command parses.
    text = separator.join(p if isinstance(p, str) else p["Ref"] for p in parts)
    queues = json.loads(text)
    assert set(queues) == {r.name for r in RULES} | {"stream-forwarder", "indexer", "catch-up"}
    named = {q for entry in queues.values() for q in entry.values()}
    assert named == set(synth.of_type("AWS::SQS::Queue"))  # every queue, each once
    for rule in RULES:
        queue = synth.resources[queues[rule.name]["queue"]]["Properties"]
        target = queue["RedrivePolicy"]["deadLetterTargetArn"]
        assert target == arn(queues[rule.name]["dead_letters"])


def test_one_dashboard_shows_the_api_the_lags_the_queues_and_the_dead_letters(
    synth: Synthesized,
) -> None:
    (dashboard,) = synth.of_type("AWS::CloudWatch::Dashboard").values()
    body = json.dumps(dashboard["Properties"]["DashboardBody"])
    titles = [
        "Orders confirmed",
        "API latency (ms)",
        "API errors",
        "Stream consumers' iterator age (ms)",
        "Oldest message per queue (s)",
        "Dead letters waiting",
        "Messages handled, deliveries put off",
    ]
    assert all(title in body for title in titles)
    assert '\\"OrdersConfirmed\\",\\"service\\",\\"stream-forwarder\\"' in body
    for metric in ("Latency", "4XXError", "5XXError", "IteratorAge"):
        assert f'\\"{metric}\\"' in body, metric
    for consumer in synth.stack.consumers:
        for queue in (consumer.queue, consumer.dead_letters):
            logical = synth.stack.get_logical_id(queue.node.default_child)  # type: ignore[arg-type]
            assert logical in body, (consumer.spec.name, logical)
        assert f'\\"service\\",\\"{consumer.spec.name}\\"' in body
