"""One correlation id from the API request through the stream, bus and queues to the views."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from handlers import api
from infra.api import context
from infra.correlation import HEADER, correlated
from infra.dynamodb.items import aggregate_pk
from infra.settings import ENV_VARS
from local.dynamodb import DynamoDBLocal
from local.runners.lambda_runtime import LocalContext
from tests.events import CORRELATION_ID, load
from tests.integration.pipeline_stack import pipeline_stack, scan
from tests.log_capture import captured


def test_the_request_id_reaches_the_forwarder_the_payment_and_the_views(
    dynamodb_local: DynamoDBLocal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = load("api_gateway_proxy")
    show_id = uuid.UUID(request["pathParameters"]["show_id"])
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        for field, name in ENV_VARS.items():  # the API reads its tables from its environment
            monkeypatch.setenv(name, str(getattr(stack.settings, field)))
        context._app.cache_clear()
        stack.app.create_show(show_id, "Final", seats=[{"label": "A-1", "price_cents": 5000}])
        services = ("api", "stream-forwarder", "payment", "reallocation", "read-models")
        with captured(*services) as logs:
            answer: dict[str, Any] = api.handler(request, LocalContext("api"))
            assert answer["statusCode"] == 202, answer
            assert HEADER in (answer.get("multiValueHeaders") or answer["headers"])
            order_id = json.loads(answer["body"])["order_id"]
            stack.pipeline.run_until_quiet()
        context._app.cache_clear()

        assert stack.app.get_order(uuid.UUID(order_id)).status == "CONFIRMED"
        for service, words in [
            ("stream-forwarder", "forwarded OrderAllocated"),
            ("stream-forwarder", "forwarded OrderConfirmed"),  # saved by a reaction: same id
            ("payment", "StartPayment"),
            ("reallocation", "ConfirmOrder"),
            ("read-models", "orders view"),
        ]:
            about = [
                line
                for line in logs.of(service)
                if order_id in line["message"] and words in line["message"]
            ]
            assert about, (service, words, logs.of(service))
            assert {line.get("correlation_id") for line in about} == {CORRELATION_ID}
        tip = [
            item
            for item in scan(stack.settings.event_table)
            if item["pk"] == aggregate_pk("Ticketing", order_id)
        ]
        assert [item.get("cid") for item in tip] == [CORRELATION_ID]


def test_a_request_without_a_valid_id_gets_its_gateway_request_id() -> None:
    request = load("api_gateway_proxy")
    request["headers"][HEADER] = "bad\nid"
    request["headers"]["Content-Type"] = "text/plain"  # refused before any table is read
    answer = api.handler(request, LocalContext("api"))
    assert answer["statusCode"] == 415
    headers = answer.get("multiValueHeaders") or answer["headers"]
    sent = headers[HEADER]
    assert sent in (
        request["requestContext"]["requestId"],
        [request["requestContext"]["requestId"]],
    )


def test_a_tips_id_is_its_last_writes_or_none(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        aggregate = uuid.uuid4()

        def write(version: int) -> str | None:
            event = StoredEvent(aggregate, version, "test:Event", b"{}")
            stack.app.recorder.insert_events([event])
            (tip,) = [
                i
                for i in scan(stack.settings.event_table)
                if i["pk"] == aggregate_pk("Ticketing", aggregate)
            ]
            return tip.get("cid")  # type: ignore[no-any-return]

        with correlated("first"):
            assert write(1) == "first"
        with correlated("second"):
            assert write(2) == "second"
        assert write(3) is None  # not the id of a write before it
