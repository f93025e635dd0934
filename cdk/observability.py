"""Alarms: dead-letter queue depth and stream iterator age, sent to one encrypted SNS topic."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct


class Alarms(Construct):
    """Subscribe on-call to `topic` after deploying; every alarm here notifies it."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # Only alarms of this account may use the key and the topic (confused deputy).
        cloudwatch = iam.ServicePrincipal(
            "cloudwatch.amazonaws.com",
            conditions={"StringEquals": {"aws:SourceAccount": Stack.of(self).account}},
        )
        # A customer managed key: CloudWatch cannot publish to a topic under the aws/sns key.
        key = kms.Key(
            self,
            "TopicKey",
            enable_key_rotation=True,
            description="seatledger alarm notifications",
        )
        key.grant(cloudwatch, "kms:Decrypt", "kms:GenerateDataKey")
        self.topic = sns.Topic(
            self, "Topic", master_key=key, enforce_ssl=True, display_name="seatledger alarms"
        )
        self.topic.grant_publish(cloudwatch)
        self._action = cw_actions.SnsAction(self.topic)

    def dead_letters(self, id: str, queue: sqs.IQueue) -> cw.Alarm:
        """Any message in a dead-letter queue is work the ledger gave up on: page at once."""
        metric = queue.metric_approximate_number_of_messages_visible(
            period=Duration.minutes(1), statistic=cw.Stats.MAXIMUM
        )
        return self._notify(
            metric.create_alarm(
                self,
                id,
                alarm_description=f"Messages waiting in dead-letter queue {id}",
                threshold=0,
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=1,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
        )

    def iterator_age(self, id: str, function: lambda_.IFunction, limit: Duration) -> cw.Alarm:
        """A stream consumer falling behind the event table (or stuck on a record)."""
        metric = function.metric(
            "IteratorAge", period=Duration.minutes(1), statistic=cw.Stats.MAXIMUM
        )
        return self._notify(
            metric.create_alarm(
                self,
                id,
                alarm_description=f"Stream records older than {limit.to_seconds()} s",
                threshold=limit.to_milliseconds(),
                comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                treat_missing_data=cw.TreatMissingData.NOT_BREACHING,
            )
        )

    def _notify(self, alarm: cw.Alarm) -> cw.Alarm:
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm
