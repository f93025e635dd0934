"""The queue handlers' batch processor: Powertools' partial batch response, per thread."""

from __future__ import annotations

import threading
import uuid
from typing import Any

from aws_lambda_powertools.utilities.batch import process_partial_response

from infra.pipeline.batch import ConsumerBatchProcessor
from local.runners.lambda_runtime import LocalContext


def record() -> dict[str, Any]:
    return {"messageId": str(uuid.uuid4()), "body": "{}", "eventSource": "aws:sqs"}


def test_workers_sharing_a_processor_each_get_their_own_failures() -> None:
    processor = ConsumerBatchProcessor()
    both_inside = threading.Barrier(2, timeout=10)
    failing = [record(), record(), record()]
    passing = [record(), record()]

    def outcomes(records: list[dict[str, Any]]) -> dict[str, Exception | None]:
        both_inside.wait()  # the two batches are handled at the same time
        return {r["messageId"]: RuntimeError("again") if r is failing[1] else None for r in records}

    answers: dict[str, Any] = {}

    def run(name: str, records: list[dict[str, Any]]) -> None:
        answers[name] = process_partial_response(
            {"Records": records}, outcomes, processor, LocalContext("payment")
        )

    threads = [
        threading.Thread(target=run, args=("failing", failing)),
        threading.Thread(target=run, args=("passing", passing)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers["failing"] == {
        "batchItemFailures": [{"itemIdentifier": failing[1]["messageId"]}]
    }
    assert answers["passing"] == {"batchItemFailures": []}


def test_a_whole_batch_failing_is_answered_not_raised() -> None:
    records = [record(), record()]
    answer = process_partial_response(
        {"Records": records},
        lambda rs: {r["messageId"]: RuntimeError("down") for r in rs},
        ConsumerBatchProcessor(),
    )
    assert answer == {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records]}
