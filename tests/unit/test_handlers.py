"""Handlers on the events AWS sends them (`tests/events/`), with no table behind them."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from handlers import stream_forwarder
from infra.correlation import correlated, of_request
from infra.logs import CorrelatedFormatter
from infra.settings import Settings
from local.runners.lambda_runtime import LocalContext
from tests.events import CORRELATION_ID, load
from tests.log_capture import captured


class Bus:
    """An EventBridge client that takes every entry."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        self.entries += Entries
        return {"FailedEntryCount": 0, "Entries": [{"EventId": "x"} for _ in Entries]}


def test_the_forwarder_puts_the_tips_correlation_id_in_the_detail(
    capfd: pytest.CaptureFixture[str],
) -> None:
    bus = Bus()
    stream_forwarder.forwarder.configure(Settings.of(event_bus="seatledger"), events=bus)
    with captured("stream-forwarder") as logs:
        answer = stream_forwarder.handler(load("dynamodb_stream_batch"), LocalContext("fwd"))
    assert answer == {"batchItemFailures": []}
    (entry,) = bus.entries
    assert entry["DetailType"] == "OrderAllocated"
    assert json.loads(entry["Detail"])["correlation_id"] == CORRELATION_ID
    (line,) = [line for line in logs.of("stream-forwarder") if "forwarded" in line["message"]]
    assert line["correlation_id"] == CORRELATION_ID
    # Metrics are off here, as in `make up`: no EMF blob may reach the output.
    out, err = capfd.readouterr()
    assert '"_aws"' not in out + err


def test_a_requests_id_is_its_header_if_valid_else_the_gateways() -> None:
    request = load("api_gateway_proxy")
    assert of_request(request) == CORRELATION_ID
    gateway = request["requestContext"]["requestId"]
    for bad in ["", "a b", "x" * 101, "é", "id\x1b[31m"]:
        request["headers"]["X-Correlation-Id"] = bad
        assert of_request(request) == gateway, bad
    del request["headers"]["X-Correlation-Id"]
    assert of_request(request) == gateway


def record() -> logging.LogRecord:
    return logging.LogRecord("payment", logging.INFO, __file__, 1, "charged %s", ("o-1",), None)


def test_local_log_lines_are_readable_and_carry_the_id() -> None:
    formatter = CorrelatedFormatter(text=True)
    formatter.append_keys(service="payment")
    with correlated(CORRELATION_ID):
        line = formatter.format(record())
    assert "{" not in line
    assert line.endswith(f"payment [{CORRELATION_ID}] charged o-1"), line
    as_json = json.loads(CorrelatedFormatter(text=False).format(record()))
    assert as_json["message"] == "charged o-1" and "correlation_id" not in as_json
