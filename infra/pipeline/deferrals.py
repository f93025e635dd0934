"""Deliveries put off until a deadline, without polling: a command that came early
(`NotYetDue`, an order's payment deadline) has its bus event sent again, at the due time, to
the deadline queue by one EventBridge Scheduler one-time schedule, which deletes itself after
it has run. The same event may be deferred more than once (a redelivery, a catch-up): the
schedule's name is the event's id, so the second is refused as a conflict and changes nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from botocore.exceptions import ClientError

from domain.contract import SOURCE, EventDetail
from infra.publisher import entry_detail
from infra.retry import error_code


def bus_event_body(detail: EventDetail) -> str:
    """The event as a rule delivers it to its queue (what `parse_message` reads)."""
    return json.dumps(
        {
            "source": SOURCE,
            "detail-type": detail.detail_type,
            "detail": json.loads(entry_detail(detail)),
        }
    )


@dataclass(frozen=True)
class Deferrals:
    client: Any  # boto3 "scheduler"
    group: str
    target_arn: str  # the queue the event goes back to
    role_arn: str  # what the scheduler sends as

    def defer(self, body: str, due: datetime, event_id: UUID) -> None:
        if not self.target_arn:
            raise RuntimeError("No DEADLINE_QUEUE_ARN: cannot put a delivery off")
        # at() takes whole seconds: round up, so it never comes early.
        at = (due.astimezone(UTC) + timedelta(seconds=1)).replace(microsecond=0)
        name = f"due-{event_id}"
        try:
            self.client.create_schedule(
                Name=name,
                GroupName=self.group,
                ScheduleExpression=f"at({at:%Y-%m-%dT%H:%M:%S})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={"Arn": self.target_arn, "RoleArn": self.role_arn, "Input": body},
            )
        except ClientError as e:
            if error_code(e) != "ConflictException":
                raise
            self._check_pending(name)

    def _check_pending(self, name: str) -> None:
        """A schedule of that name exists: fine while it is still to fire. One that has fired
        (and is not deleted yet) will not fire again: fail, so the delivery is tried later."""
        try:
            found = self.client.get_schedule(Name=name, GroupName=self.group)
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                raise AlreadyFired(f"{name} fired meanwhile: deliver again later") from e
            raise
        if due_time(found["ScheduleExpression"]) <= datetime.now(UTC):
            raise AlreadyFired(f"{name} has fired: deliver again later")


class AlreadyFired(Exception):
    """The delivery came back early once more; its queue's redelivery will bring it again."""


def due_time(expression: str) -> datetime:
    """The time of an ``at(...)`` schedule expression, in UTC."""
    inner = expression.removeprefix("at(").removesuffix(")")
    return datetime.fromisoformat(inner).replace(tzinfo=UTC)
