"""Powertools' SQS `BatchProcessor`, for consumers that take a whole batch at once.

Consumers work per aggregate across a batch (one read of the store for several events of one
aggregate, aggregates in parallel), so the handler this processor is given takes every record
at once and answers, per message id, its failure or None (`QueueConsumer.outcomes`). The
processor turns that into Powertools' partial batch response and logs each failure with its
traceback. A whole batch failing is reported as such, not raised: Lambda retries it either way.

Its state is per thread: the local stack runs several workers on one handler, as Lambda runs
several instances, and a shared processor would mix their batches' failures.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType


class _PerThread:
    """An attribute of the processor kept per thread."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return self
        try:
            return getattr(obj._per_thread, self.name)
        except AttributeError:
            raise AttributeError(self.name) from None

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj._per_thread, self.name, value)


class ConsumerBatchProcessor(BatchProcessor):
    records = _PerThread()
    handler = _PerThread()
    lambda_context = _PerThread()
    _handler_accepts_lambda_context = _PerThread()
    success_messages = _PerThread()
    fail_messages = _PerThread()
    exceptions = _PerThread()
    batch_response = _PerThread()

    def __init__(self, logger: logging.Logger | Any = None) -> None:
        self._per_thread = threading.local()
        super().__init__(EventType.SQS, raise_on_entire_batch_failure=False, logger=logger)

    def _prepare(self) -> None:
        self.success_messages, self.fail_messages, self.exceptions = [], [], []
        self.batch_response = {"batchItemFailures": []}

    def process(self) -> list[tuple[Any, ...]]:
        failures: dict[str, Exception | None] = self.handler(self.records)
        results = []
        for record in self.records:
            data = self._to_batch_type(record=record, event_type=self.event_type)
            failure = failures.get(record["messageId"])
            if failure is None:
                results.append(self.success_handler(record=data, result=None))
            else:
                info = (type(failure), failure, failure.__traceback__)
                if failure.__traceback__ is None and self.logger is not None:  # never raised
                    self.logger.warning("message failed, to be retried: %r", failure)
                results.append(self.failure_handler(record=data, exception=info))
        return results
