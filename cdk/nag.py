"""cdk-nag suppressions, each with its reason; and the finding ids they must name exactly."""

from __future__ import annotations

from aws_cdk import CfnResource, Stack
from cdk_nag import NagPackSuppression, NagSuppressions
from constructs import IConstruct


def suppress(construct: IConstruct, rule: str, reason: str, *applies_to: str) -> None:
    """Suppress AwsSolutions-`rule` on `construct` and the resources it holds *now*.

    cdk-nag copies suppressions onto the resources that exist at the call, so call this after the
    resource (for a role, its default policy) has been created.
    """
    NagSuppressions.add_resource_suppressions(
        construct,
        [
            NagPackSuppression(
                id=f"AwsSolutions-{rule}", reason=reason, applies_to=list(applies_to) or None
            )
        ],
        apply_to_children=True,
    )


def arn_of(resource: IConstruct) -> str:
    """How cdk-nag names a resource's ARN in a finding: ``<LogicalId.Arn>``."""
    cfn = resource if isinstance(resource, CfnResource) else resource.node.default_child
    assert isinstance(cfn, CfnResource), f"{resource.node.path} has no CloudFormation resource"
    return f"<{Stack.of(cfn).get_logical_id(cfn)}.Arn>"
