"""A queue handler run by several workers at once reports each batch's own failures."""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

from domain.contract import SOURCE, EventDetail, entry_detail, to_detail
from domain.events import OrderAllocated
from infra.pipeline.consumer import Outcome, queue_handler
from infra.settings import Settings
from local.runners.lambda_runtime import LocalContext


def message(version: int) -> dict[str, Any]:
    event = OrderAllocated(
        originator_id=uuid.uuid4(),
        originator_version=version,
        timestamp=datetime(2026, 11, 23, tzinfo=UTC),
        amount_cents=100,
    )
    body = {
        "source": SOURCE,
        "detail-type": "OrderAllocated",
        "detail": json.loads(entry_detail(to_detail("Ticketing", event))),
    }
    return {"messageId": str(uuid.uuid4()), "body": json.dumps(body)}


def test_workers_sharing_a_handler_each_get_their_own_failures() -> None:
    both_inside = threading.Barrier(2, timeout=10)

    def handle(details: list[EventDetail]) -> list[Outcome]:
        both_inside.wait()  # the two batches are handled at the same time
        return [RuntimeError("try again") if d.aggregate_version == 2 else None for d in details]

    handler = queue_handler("payment", lambda settings: handle, Settings())
    failing = [message(1), message(2), message(1)]
    passing = [message(1), message(1)]
    answers: dict[str, Any] = {}

    def run(name: str, records: list[dict[str, Any]]) -> None:
        answers[name] = handler({"Records": records}, LocalContext("payment"))

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
