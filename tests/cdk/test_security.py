"""Least privilege, cdk-nag's AwsSolutions pack, and cfn-lint on the synthesized template."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Match
from cfnlint.api import ManualArgs, lint_file

from cdk.access import ACCESS
from infra.rules import RULES
from tests.cdk.conftest import Synthesized

# The brief's grants, stated independently of cdk/access.py: handler -> table -> level.
EXPECTED_TABLE_ACCESS: dict[str, dict[str, str]] = {
    # Decodes stream records itself; its stream read comes with the event source mapping.
    "handlers.stream_forwarder.handler": {},
    "handlers.indexer.handler": {"events": "read", "index": "write"},
    "handlers.payment.handler": {"events": "write", "charges": "write"},
    "handlers.reallocation.handler": {"events": "write"},
    "handlers.read_models.handler": {
        "events": "read",
        "seat_map": "write",
        "orders": "write",
        "payments": "write",
        "seat_map_b": "write",
        "orders_b": "write",
        "payments_b": "write",
    },
    # Every consumer's work at once: the read models' and both reactions' grants, and the index.
    "handlers.catch_up.handler": {
        "events": "write",
        "index": "read",
        "seat_map": "write",
        "orders": "write",
        "payments": "write",
        "seat_map_b": "write",
        "orders_b": "write",
        "payments_b": "write",
        "charges": "write",
    },
    "handlers.api.handler": {
        "events": "write",
        "seat_map": "read",
        "orders": "read",
        "payments": "read",
        "seat_map_b": "read",
        "orders_b": "read",
        "payments_b": "read",
    },
}
TABLE_IDS = {
    "events": "Events",
    "index": "Index",
    "seat_map": "SeatMap",
    "orders": "Orders",
    "payments": "Payments",
    "seat_map_b": "SeatMapTableB",
    "orders_b": "OrdersTableB",
    "payments_b": "PaymentsTableB",
    "charges": "Charges",
}
STREAM_CONSUMERS = {"handlers.stream_forwarder.handler", "handlers.indexer.handler"}
# Actions with no resource-level permissions: the only ones a role may allow on "*".
UNSCOPED_ACTIONS = {"xray:PutTraceSegments", "xray:PutTelemetryRecords", "dynamodb:ListStreams"}
WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
}
# The only suppressions the stack is meant to have, rule -> resource (path under the stack);
# a new one must be added here on purpose.
FUNCTIONS = ["Api", "StreamForwarder", "Indexer", "CatchUp", *(spec.name for spec in RULES)]
PUBLIC_METHODS = {
    "Api/RestApi/Default/GET",
    "Api/RestApi/Default/openapi.json/GET",
    "Api/RestApi/Default/docs/GET",
    "Api/RestApi/Default/shows/GET",
    "Api/RestApi/Default/shows/{show_id}/GET",
    "Api/RestApi/Default/shows/{show_id}/seats/GET",
    "Api/RestApi/Default/shows/{show_id}/seats/compact/GET",
}
# Every route's path: ANY, which only receives methods no route serves (answered 405).
REFUSING_METHODS = {
    f"Api/RestApi/Default{path}/ANY"
    for path in (
        "",
        "/openapi.json",
        "/docs",
        "/shows",
        "/shows/{show_id}",
        "/shows/{show_id}/seats",
        "/shows/{show_id}/seats/compact",
        "/shows/{show_id}/orders",
        "/orders/{order_id}",
        "/orders/{order_id}/cancel",
        "/customers/{customer_id}/orders",
    )
}
EXPECTED_SUPPRESSIONS = {
    # The account-level API Gateway logging role's AWS managed policy.
    "IAM4": {"Api/RestApi/CloudWatchRole"},
    # Actions with no resource-level permissions (UNSCOPED_ACTIONS), and secondary indexes.
    "IAM5": {f"{name}/Handler/Role/DefaultPolicy" for name in FUNCTIONS},
    # python3.12 pinned with the dependency layer.
    "L1": {f"{name}/Handler/Function" for name in FUNCTIONS},
    # The stream consumers' terminal on-failure queues, and the schedule's dead-letter queue.
    "SQS3": {"StreamForwarder/OnFailure", "Indexer/OnFailure", "CatchUp/DeadLetters"},
    # The public routes (shows, seat maps, page, spec), and the 405s: no authorizer by design.
    "APIG4": PUBLIC_METHODS | REFUSING_METHODS,
    "COG4": PUBLIC_METHODS | REFUSING_METHODS,
    # The user pool: MFA optional (buyers); the Essentials plan, not Plus (threat protection).
    "COG2": {"Users/Pool"},
    "COG8": {"Users/Pool"},
}
# cfn-lint warnings accepted: CDK adds a DependsOn on the role that a GetAtt already implies.
ACCEPTED_LINT_WARNINGS = {"W3005"}


def _statements(synth: Synthesized) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy statement in the template, IAM and resource policies alike."""
    for resource_id, resource in synth.resources.items():
        props = resource.get("Properties", {})
        documents = [props.get("PolicyDocument")]
        policies = props.get("Policies", [])  # a user pool's Policies is its password policy
        documents += [p.get("PolicyDocument") for p in policies if isinstance(policies, list)]
        for document in documents:
            for statement in (document or {}).get("Statement", []):
                yield resource_id, statement


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


def test_no_allowed_action_has_a_wildcard(synth: Synthesized) -> None:
    """Denies (TLS-only queue and topic policies) may say sqs:* / sns:*; allows may not.

    KMS key policies are not scanned: their account-root statement (kms:*) is what keeps a key
    manageable, and it grants nothing to a function.
    """
    checked = 0
    for resource_id, statement in _statements(synth):
        if statement["Effect"] != "Allow":
            continue
        checked += 1
        wild = [a for a in _actions(statement) if "*" in a]
        assert not wild, f"{resource_id} allows {wild}"
    assert checked > 10


def _role_statements(synth: Synthesized, handler: str) -> Iterator[dict[str, Any]]:
    """The statements of the policies attached to `handler`'s role."""
    (function,) = [
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == handler
    ]
    role_id = function["Role"]["Fn::GetAtt"][0]
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} in policy["Properties"]["Roles"]:
            yield from policy["Properties"]["PolicyDocument"]["Statement"]


def _resources(statement: dict[str, Any]) -> list[Any]:
    resources = statement["Resource"]
    return resources if isinstance(resources, list) else [resources]


def _is_stream(resource: Any) -> bool:
    return isinstance(resource, dict) and resource.get("Fn::GetAtt", [None, None])[1] == "StreamArn"


def _function_grants(synth: Synthesized, handler: str) -> dict[str, str]:
    """table key -> "read" / "write" from the DynamoDB actions in the handler's role policy.

    Stream reads (on a stream ARN, and ListStreams on *) are not table access.
    """
    levels: dict[str, str] = {}
    for statement in _role_statements(synth, handler):
        actions = _actions(statement)
        if not any(a.startswith("dynamodb:") for a in actions):
            continue
        level = "write" if WRITE_ACTIONS & set(actions) else "read"
        for resource in _resources(statement):
            if resource == "*" or _is_stream(resource):
                continue
            text = str(resource)  # GetAtt or Join naming the table's logical id
            keys = [
                k for k, c in TABLE_IDS.items() if re.search(f"'Storage{c}[0-9A-F]{{8}}'", text)
            ]
            assert len(keys) == 1, f"{handler}: {text} is no one table"
            assert levels.get(keys[0], level) == level, f"{handler}: {keys[0]} twice"
            levels[keys[0]] = level
    return levels


@pytest.mark.parametrize("handler", sorted(EXPECTED_TABLE_ACCESS))
def test_each_function_gets_only_its_tables(synth: Synthesized, handler: str) -> None:
    assert _function_grants(synth, handler) == EXPECTED_TABLE_ACCESS[handler]


def test_only_stream_consumers_read_the_stream_and_only_its_records(
    synth: Synthesized,
) -> None:
    (events_id,) = [
        k
        for k, r in synth.of_type("AWS::DynamoDB::Table").items()
        if "StreamSpecification" in r["Properties"]
    ]
    for handler in ACCESS:
        streams = [
            (sorted(_actions(s)), _resources(s))
            for s in _role_statements(synth, handler)
            if any(_is_stream(r) for r in _resources(s))
        ]
        expected = [
            (
                ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"],
                [{"Fn::GetAtt": [events_id, "StreamArn"]}],
            )
        ]
        assert streams == (expected if handler in STREAM_CONSUMERS else []), handler


def test_only_unscoped_actions_are_allowed_on_every_resource(synth: Synthesized) -> None:
    """The roles' IAM5 suppression is for ``Resource::*``: it must not hide a table grant."""
    for handler in ACCESS:
        for statement in _role_statements(synth, handler):
            if "*" in _resources(statement):
                assert set(_actions(statement)) <= UNSCOPED_ACTIONS, handler


def test_every_rule_handler_has_an_access_row() -> None:
    assert {spec.handler for spec in RULES} <= set(ACCESS)


def test_cdk_nag_has_no_unsuppressed_findings(synth: Synthesized) -> None:
    findings = [
        f"{m.id}: {m.entry.data}"
        for find in (synth.annotations.find_error, synth.annotations.find_warning)
        for m in find("*", Match.string_like_regexp("AwsSolutions-.*"))
    ]
    assert findings == []


def test_suppressions_are_the_expected_few_and_give_reasons(synth: Synthesized) -> None:
    (report,) = synth.outdir.glob("AwsSolutions-*-NagReport.csv")
    rows = [line.split('","') for line in report.read_text().splitlines()[1:]]
    suppressed = [r for r in rows if r[2] == "Suppressed"]
    found: dict[str, set[str]] = {}
    for row in suppressed:
        rule = row[0].strip('"').removeprefix("AwsSolutions-")
        path = row[1].removeprefix(f"{synth.stack.stack_name}/").removesuffix("/Resource")
        found.setdefault(rule, set()).add(path)
    assert found == EXPECTED_SUPPRESSIONS
    assert all(len(r[3]) >= 40 for r in suppressed), "a suppression's reason is too thin"
    assert not [r for r in rows if r[2] == "Non-Compliant"]


def test_cfn_lint_finds_no_errors(synth: Synthesized) -> None:
    matches = lint_file(synth.template_path, config=ManualArgs(regions=["us-east-1"]))
    errors = [str(m) for m in matches if m.rule.id.startswith("E")]
    unexpected = [
        str(m)
        for m in matches
        if m.rule.id.startswith("W") and m.rule.id not in ACCEPTED_LINT_WARNINGS
    ]
    assert errors == []
    assert unexpected == []
