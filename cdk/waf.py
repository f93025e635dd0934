"""A regional WAF web ACL in front of the API stage: per-IP rate limit and AWS managed rules."""

from __future__ import annotations

from typing import Any

from aws_cdk import aws_wafv2 as waf
from constructs import Construct

RATE_PER_IP = 2000  # requests per 5 minutes from one address; on-sales are bursty, bots more so


def _visibility(name: str) -> waf.CfnWebACL.VisibilityConfigProperty:
    return waf.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True
    )


def _managed(priority: int, name: str, **group: Any) -> waf.CfnWebACL.RuleProperty:
    return waf.CfnWebACL.RuleProperty(
        name=name,
        priority=priority,
        override_action=waf.CfnWebACL.OverrideActionProperty(none={}),
        statement=waf.CfnWebACL.StatementProperty(
            managed_rule_group_statement=waf.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name, **group
            )
        ),
        visibility_config=_visibility(name),
    )


class ApiFirewall(Construct):
    def __init__(self, scope: Construct, id: str, *, stage_arn: str) -> None:
        super().__init__(scope, id)
        rate = waf.CfnWebACL.RuleProperty(
            name="RatePerIp",
            priority=0,
            action=waf.CfnWebACL.RuleActionProperty(block={}),
            statement=waf.CfnWebACL.StatementProperty(
                rate_based_statement=waf.CfnWebACL.RateBasedStatementProperty(
                    limit=RATE_PER_IP, aggregate_key_type="IP"
                )
            ),
            visibility_config=_visibility("RatePerIp"),
        )
        # Creating a show may list 50,000 seats, far over the common set's 8 KB body limit:
        # that one rule only counts.
        common = _managed(
            1,
            "AWSManagedRulesCommonRuleSet",
            rule_action_overrides=[
                waf.CfnWebACL.RuleActionOverrideProperty(
                    name="SizeRestrictions_BODY",
                    action_to_use=waf.CfnWebACL.RuleActionProperty(count={}),
                )
            ],
        )
        bad_inputs = _managed(2, "AWSManagedRulesKnownBadInputsRuleSet")
        self.web_acl = waf.CfnWebACL(
            self,
            "WebAcl",
            scope="REGIONAL",
            default_action=waf.CfnWebACL.DefaultActionProperty(allow={}),
            rules=[rate, common, bad_inputs],
            visibility_config=_visibility("seatledger-api"),
        )
        waf.CfnWebACLAssociation(
            self, "Association", resource_arn=stage_arn, web_acl_arn=self.web_acl.attr_arn
        )
