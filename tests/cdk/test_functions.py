"""Functions (code, runtime, environment), the API, and the alarms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import CfnElement
from aws_cdk.assertions import Match

from cdk.environment import ENV_VARS, FIXED, powertools
from infra.rules import RULES
from infra.settings import NEVER_DEPLOYED, Settings
from tests.cdk.conftest import Synthesized, ref

HANDLERS = {
    "handlers.stream_forwarder.handler",
    "handlers.indexer.handler",
    "handlers.api.handler",
    "handlers.catch_up.handler",
    *(spec.handler for spec in RULES),
}
CODE_PACKAGES = {"domain", "handlers", "infra", "projections"}
# Handlers that park nothing: the API answers its caller; the catch-up retries next run.
PARK_NOTHING = {"handlers.api.handler", "handlers.catch_up.handler"}


def _functions(synth: Synthesized) -> dict[str, dict[str, Any]]:
    return {k: r["Properties"] for k, r in synth.of_type("AWS::Lambda::Function").items()}


def test_env_var_names_are_the_ones_settings_reads(monkeypatch: pytest.MonkeyPatch) -> None:
    defaults = Settings.of()
    values: dict[str, object] = {}
    for field, name in ENV_VARS.items():
        default = getattr(defaults, field)
        if isinstance(default, bool):
            values[field] = not default
        else:
            values[field] = 7 if isinstance(default, int) else f"value-of-{name}"
        monkeypatch.setenv(name, Settings.of(**{field: values[field]}).environment(field)[name])
    settings = Settings.from_env()
    for field in ENV_VARS:
        assert getattr(settings, field) == values[field], field


def test_one_function_per_handler_on_one_runtime(synth: Synthesized) -> None:
    functions = _functions(synth)
    assert sorted(f["Handler"] for f in functions.values()) == sorted(HANDLERS)
    assert {f["Runtime"] for f in functions.values()} == {"python3.12"}
    assert {tuple(f["Architectures"]) for f in functions.values()} == {("x86_64",)}
    (layer_id,) = synth.of_type("AWS::Lambda::LayerVersion")
    synth.template.has_resource_properties(
        "AWS::Lambda::LayerVersion", {"CompatibleArchitectures": ["x86_64"]}
    )
    for function in functions.values():
        assert function["TracingConfig"] == {"Mode": "Active"}
        assert function["Layers"] == [ref(layer_id)]


def test_every_function_traces_to_x_ray(synth: Synthesized) -> None:
    """Tracing is active and each role may send segments: the handlers' Powertools Tracer
    records DynamoDB, EventBridge and gateway calls as subsegments."""
    for function in _functions(synth).values():
        assert function["TracingConfig"] == {"Mode": "Active"}
        role = function["Role"]["Fn::GetAtt"][0]
        allowed = {
            action
            for policy in synth.of_type("AWS::IAM::Policy").values()
            if {"Ref": role} in policy["Properties"]["Roles"]
            for statement in policy["Properties"]["PolicyDocument"]["Statement"]
            if statement["Effect"] == "Allow"
            for action in _listed(statement["Action"])
        }
        assert {"xray:PutTraceSegments", "xray:PutTelemetryRecords"} <= allowed, function["Handler"]
        assert function["Environment"]["Variables"]["POWERTOOLS_SERVICE_NAME"]


def _listed(actions: Any) -> list[str]:
    return [actions] if isinstance(actions, str) else list(actions)


DEFERRING = {"handlers.reallocation.handler", "handlers.catch_up.handler"}


def test_environment(synth: Synthesized) -> None:
    (bus_id,) = synth.of_type("AWS::Events::EventBus")
    tables = synth.of_type("AWS::DynamoDB::Table")
    table_refs = {ref(k)["Ref"] for k in tables}
    index = synth.stack.storage.index.node.default_child
    assert isinstance(index, CfnElement)
    for function in _functions(synth).values():
        env = function["Environment"]["Variables"]
        # Exactly what settings read, the fixed names and Powertools'.
        deployed = {v for f, v in ENV_VARS.items() if f not in NEVER_DEPLOYED}
        expected = deployed | set(FIXED) | set(powertools("any"))
        if function["Handler"] in PARK_NOTHING:
            expected.discard("DEAD_LETTER_QUEUE_URL")
        if function["Handler"] not in DEFERRING:
            expected -= {"DEADLINE_QUEUE_ARN", "SCHEDULER_ROLE_ARN"}
        assert set(env) == expected, function["Handler"]
        assert env["PAYMENT_DEADLINE_SECONDS"] == "600"
        assert env["DYNAMODB_INDEX_TABLE"] == ref(synth.stack.get_logical_id(index))
        assert env["DYNAMODB_INDEX_PARTITIONS"] == "1"
        assert env["SEATLEDGER_GATEWAY_LATENCY_MS"] == "0"
        assert {k: env[k] for k in FIXED} == {
            "CREATE_TABLE": "no",
            "PERSISTENCE_MODULE": "infra.dynamodb",
        }
        assert env["POWERTOOLS_METRICS_NAMESPACE"] == "seatledger"
        assert env["POWERTOOLS_SERVICE_NAME"] and env["POWERTOOLS_LOG_LEVEL"]
        assert env["EVENT_BUS_NAME"] == ref(bus_id)
        assert "ACCEPT_TEST_EVENTS" not in env
        table_vars = [v for f, v in ENV_VARS.items() if "_table" in f]
        assert {env[v]["Ref"] for v in table_vars} == table_refs
        if function["Handler"] not in PARK_NOTHING:
            queue_id = env["DEAD_LETTER_QUEUE_URL"]["Ref"]
            assert synth.resources[queue_id]["Type"] == "AWS::SQS::Queue"


def test_queue_handlers_park_poison_in_their_own_dead_letter_queue(synth: Synthesized) -> None:
    for mapping in synth.of_type("AWS::Lambda::EventSourceMapping").values():
        props = mapping["Properties"]
        queue_id = props["EventSourceArn"]["Fn::GetAtt"][0]
        if synth.resources[queue_id]["Type"] != "AWS::SQS::Queue":
            continue
        function = synth.resources[props["FunctionName"]["Ref"]]["Properties"]
        redrive = synth.resources[queue_id]["Properties"]["RedrivePolicy"]
        dlq_id = redrive["deadLetterTargetArn"]["Fn::GetAtt"][0]
        assert function["Environment"]["Variables"]["DEAD_LETTER_QUEUE_URL"] == ref(dlq_id)


def test_code_asset_holds_only_the_four_packages(synth: Synthesized) -> None:
    (layer,) = synth.of_type("AWS::Lambda::LayerVersion").values()
    layer_key = layer["Properties"]["Content"]["S3Key"]
    keys = {f["Code"]["S3Key"] for f in _functions(synth).values()}
    assert len(keys) == 1 and layer_key not in keys  # one shared code asset
    asset = synth.outdir / f"asset.{keys.pop().removesuffix('.zip')}"
    assert {p.name for p in asset.iterdir()} == CODE_PACKAGES
    assert not list(asset.rglob("__pycache__"))
    assert (asset / "infra" / "rules.py").is_file()
    # Nothing shipped imports what stays on the workstation (`make up`, the CLI, the CDK app),
    # or a package only those use; the layer holds the runtime dependencies alone.
    workstation = re.compile(
        r"^\s*(?:from|import)\s+(local|cli|cdk|moto|typer|rich|aws_cdk|cdk_nag)\b", re.M
    )
    found = {
        f"{path.relative_to(asset)}: {m.group(1)}"
        for path in asset.rglob("*.py")
        for m in workstation.finditer(path.read_text())
    }
    assert found == set()


def test_api_is_throttled_validated_logged_and_firewalled(synth: Synthesized) -> None:
    (stage,) = synth.of_type("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["AccessLogSetting"]["DestinationArn"]
    assert props["TracingEnabled"] is True
    (settings,) = props["MethodSettings"]
    assert settings["ThrottlingRateLimit"] > 0 and settings["ThrottlingBurstLimit"] > 0
    assert settings["LoggingLevel"] in {"ERROR", "INFO"} and not settings["DataTraceEnabled"]
    (validator_id,) = synth.of_type("AWS::ApiGateway::RequestValidator")
    methods = synth.of_type("AWS::ApiGateway::Method").values()
    assert methods and all(
        m["Properties"]["RequestValidatorId"] == ref(validator_id) for m in methods
    )
    assert all(m["Properties"]["Integration"]["Type"] == "AWS_PROXY" for m in methods)
    synth.template.has_resource_properties(
        "AWS::WAFv2::WebACLAssociation", {"ResourceArn": Match.any_value()}
    )
    synth.template.has_resource_properties(
        "AWS::WAFv2::WebACL",
        {
            "Scope": "REGIONAL",
            "Rules": Match.array_with([Match.object_like({"Name": "RatePerIp"})]),
        },
    )


def _alarms(synth: Synthesized, metric: str) -> list[dict[str, Any]]:
    return [
        r["Properties"]
        for r in synth.of_type("AWS::CloudWatch::Alarm").values()
        if r["Properties"]["MetricName"] == metric
    ]


def test_every_dead_letter_queue_depth_alarms(synth: Synthesized) -> None:
    queues = synth.of_type("AWS::SQS::Queue")
    dead_letter_ids = {
        q["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
        for q in queues.values()
        if "RedrivePolicy" in q["Properties"]
    }
    # EventBridge's: the consumers' (also redrive targets) and the catch-up schedule's.
    dead_letter_ids |= {
        t["DeadLetterConfig"]["Arn"]["Fn::GetAtt"][0]
        for r in synth.of_type("AWS::Events::Rule").values()
        for t in r["Properties"]["Targets"]
    }
    # The stream consumers' on-failure queues are the ones neither a source nor a DLQ.
    parked = (
        set(queues)
        - dead_letter_ids
        - {k for k, q in queues.items() if "RedrivePolicy" in q["Properties"]}
    )
    alarms = _alarms(synth, "ApproximateNumberOfMessagesVisible")
    (topic_id,) = synth.of_type("AWS::SNS::Topic")
    watched = {a["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for a in alarms}
    assert watched == dead_letter_ids | parked and len(parked) == 2
    for alarm in alarms:
        assert alarm["Threshold"] == 0
        assert alarm["ComparisonOperator"] == "GreaterThanThreshold"
        assert alarm["AlarmActions"] == [ref(topic_id)]


def test_stream_consumers_iterator_age_alarms(synth: Synthesized) -> None:
    stream_functions = sorted(
        k
        for k, f in _functions(synth).items()
        if f["Handler"] in {"handlers.stream_forwarder.handler", "handlers.indexer.handler"}
    )
    alarms = _alarms(synth, "IteratorAge")
    (topic_id,) = synth.of_type("AWS::SNS::Topic")
    watched = []
    for alarm in alarms:
        (dimension,) = alarm["Dimensions"]
        assert dimension["Name"] == "FunctionName"
        watched.append(dimension["Value"]["Ref"])
        assert alarm["AlarmActions"] == [ref(topic_id)]
    assert sorted(watched) == stream_functions and len(stream_functions) == 2


def test_deadlines_go_back_to_the_reallocation_queue_through_the_scheduler(
    synth: Synthesized,
) -> None:
    stack = synth.stack
    reallocation = next(c for c in stack.consumers if c.spec.name == "reallocation")
    queue = stack.get_logical_id(reallocation.queue.node.default_child)  # type: ignore[arg-type]
    role = stack.get_logical_id(stack.deadlines.role.node.default_child)  # type: ignore[arg-type]
    for function in _functions(synth).values():
        env = function["Environment"]["Variables"]
        if function["Handler"] in DEFERRING:
            assert env["DEADLINE_QUEUE_ARN"] == {"Fn::GetAtt": [queue, "Arn"]}
            assert env["SCHEDULER_ROLE_ARN"] == {"Fn::GetAtt": [role, "Arn"]}
    # the scheduler's role may send to that queue and nothing else
    policies = [
        p["Properties"]["PolicyDocument"]["Statement"]
        for p in synth.template.find_resources("AWS::IAM::Policy").values()
        if {"Ref": role} in p["Properties"]["Roles"]
    ]
    assert [[s["Action"] for s in statements] for statements in policies] == [
        [["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]]
    ]
