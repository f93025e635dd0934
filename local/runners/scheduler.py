"""EventBridge Scheduler's one-time schedules, run locally: moto keeps the schedules but never
fires them. This does what the service does for ``at(...)`` schedules with an SQS target and
``ActionAfterCompletion: DELETE``: at the time, send the target's input to the queue, then
delete the schedule. It lists the group's schedules each second, which the service itself does
not need to do; locally there are as many as orders awaiting payment.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from infra.pipeline.deferrals import due_time
from infra.retry import error_code

logger = logging.getLogger(__name__)


@dataclass
class LocalScheduler:
    scheduler: Any
    sqs: Any
    group: str
    function_name: str = "scheduler"
    poll_interval: float = 1.0

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception as e:  # noqa: BLE001 - moto or the queue unreachable: next round
                if not stop.is_set():
                    logger.warning("scheduler: %r", e)
            stop.wait(self.poll_interval)

    def poll_once(self) -> int:
        """Fire every schedule that is due; returns how many fired."""
        fired, now = 0, datetime.now(UTC)
        pages = self.scheduler.get_paginator("list_schedules").paginate(GroupName=self.group)
        for summary in (s for page in pages for s in page["Schedules"]):
            try:
                schedule = self.scheduler.get_schedule(Name=summary["Name"], GroupName=self.group)
            except ClientError as e:
                if error_code(e) == "ResourceNotFoundException":
                    continue  # fired by another round meanwhile
                raise
            if due_time(schedule["ScheduleExpression"]) > now:
                continue
            target = schedule["Target"]
            queue = target["Arn"].rsplit(":", 1)[-1]
            url = self.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
            self.sqs.send_message(QueueUrl=url, MessageBody=target["Input"])
            self.scheduler.delete_schedule(Name=summary["Name"], GroupName=self.group)
            fired += 1
        return fired
