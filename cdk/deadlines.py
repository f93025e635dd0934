"""Payment deadlines: functions that meet a command before its time (an order's deadline)
create an EventBridge Scheduler one-time schedule that sends the event back to the deadline
queue (the reallocation rule's) at that time; the schedule deletes itself once it has run."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from cdk.environment import ENV_VARS
from cdk.functions import ServiceFunction
from cdk.nag import suppress
from infra.settings import Settings

SCHEDULE_PREFIX = "due-"  # infra.pipeline.deferrals names each schedule due-<event id>


class Deadlines(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        queue: sqs.IQueue,
        deferring: Sequence[ServiceFunction],
    ) -> None:
        super().__init__(scope, id)
        # What the scheduler sends as: to the deadline queue, nothing else.
        self.role = iam.Role(
            self, "SchedulerRole", assumed_by=iam.ServicePrincipal("scheduler.amazonaws.com")
        )
        queue.grant_send_messages(self.role)
        group = Settings.of().scheduler_group
        schedules = Stack.of(self).format_arn(
            service="scheduler", resource="schedule", resource_name=f"{group}/{SCHEDULE_PREFIX}*"
        )
        for service in deferring:
            fn = service.function
            fn.add_environment(ENV_VARS["deadline_queue_arn"], queue.queue_arn)
            fn.add_environment(ENV_VARS["scheduler_role_arn"], self.role.role_arn)
            fn.add_to_role_policy(
                iam.PolicyStatement(actions=["scheduler:CreateSchedule"], resources=[schedules])
            )
            self.role.grant_pass_role(service.role)
            suppress(
                service.role,
                "IAM5",
                "A schedule per deadline, named due-<event id> when it is made: the grant covers "
                "only schedules of that prefix in the ledger's group.",
                f"Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:"
                f"schedule/{group}/{SCHEDULE_PREFIX}*",
            )
