"""Least privilege, cdk-nag's AwsSolutions pack, and cfn-lint on the synthesized template."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from aws_cdk.assertions import Match
from cfnlint.api import ManualArgs, lint_file

from infra.cdk.access import ACCESS
from infra.rules import RULES
from tests.cdk.conftest import Synthesized

# The brief's grants, stated independently of infra/cdk/access.py: handler -> table -> level.
EXPECTED_TABLE_ACCESS = {
    "handlers.stream_forwarder.handler": {"events": "read"},
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
    "seat_map": "SeatMap",
    "orders": "Orders",
    "payments": "Payments",
    "seat_map_b": "SeatMapTableB",
    "orders_b": "OrdersTableB",
    "payments_b": "PaymentsTableB",
    "charges": "Charges",
}
# The only suppressions the stack is meant to have; a new one must be added here on purpose.
EXPECTED_SUPPRESSIONS = {"IAM4", "IAM5", "L1", "SQS3", "APIG4", "COG4"}
# cfn-lint warnings accepted: CDK adds a DependsOn on the role that a GetAtt already implies.
ACCEPTED_LINT_WARNINGS = {"W3005"}


def _statements(synth: Synthesized) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every policy statement in the template, IAM and resource policies alike."""
    for resource_id, resource in synth.resources.items():
        props = resource.get("Properties", {})
        documents = [props.get("PolicyDocument")]
        documents += [p.get("PolicyDocument") for p in props.get("Policies", [])]
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


def _function_grants(synth: Synthesized, handler: str) -> dict[str, str]:
    """table key -> "read" / "write" from the DynamoDB actions in the handler's role policy."""
    (function,) = [
        r["Properties"]
        for r in synth.of_type("AWS::Lambda::Function").values()
        if r["Properties"]["Handler"] == handler
    ]
    role_id = function["Role"]["Fn::GetAtt"][0]
    levels: dict[str, str] = {}
    for policy in synth.of_type("AWS::IAM::Policy").values():
        if {"Ref": role_id} not in policy["Properties"]["Roles"]:
            continue
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = _actions(statement)
            if "dynamodb:GetItem" not in actions:
                continue
            level = "write" if "dynamodb:PutItem" in actions else "read"
            resources = statement["Resource"]
            for resource in resources if isinstance(resources, list) else [resources]:
                logical_id = str(resource)  # GetAtt or Join naming the table's logical id
                for key, construct_id in TABLE_IDS.items():
                    if f"'Storage{construct_id}" in logical_id:
                        assert levels.get(key, level) == level, f"{handler}: {key} twice"
                        levels[key] = level
    return levels


@pytest.mark.parametrize("handler", sorted(EXPECTED_TABLE_ACCESS))
def test_each_function_gets_only_its_tables(synth: Synthesized, handler: str) -> None:
    assert _function_grants(synth, handler) == EXPECTED_TABLE_ACCESS[handler]


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
    assert {r[0].strip('"').removeprefix("AwsSolutions-") for r in suppressed} == (
        EXPECTED_SUPPRESSIONS
    )
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
