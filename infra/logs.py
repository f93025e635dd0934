"""Log lines that carry the correlation id (`infra.correlation`): Powertools' JSON on Lambda,
readable text lines in `make up`; and the API handler's decorator that sets the id."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from aws_lambda_powertools import Tracer
from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter
from aws_lambda_powertools.middleware_factory import lambda_handler_decorator

from infra.correlation import HEADER, correlated, current, of_request
from infra.settings import Settings

tracer = Tracer()  # the handler's (Tracer instances share one configuration)


@lambda_handler_decorator
def correlated_request(
    handler: Callable[[dict[str, Any], Any], dict[str, Any]], event: dict[str, Any], context: Any
) -> dict[str, Any]:
    """An API handler's work under the request's correlation id, echoed in the answer."""
    with correlated(of_request(event)) as cid:
        tracer.put_annotation("correlation_id", str(cid))  # traces found by the request's id
        response = handler(event, context)
    if isinstance(response.get("multiValueHeaders"), dict):
        response["multiValueHeaders"][HEADER] = [cid]
    else:
        response["headers"] = {**(response.get("headers") or {}), HEADER: cid}
    return response


class CorrelatedFormatter(LambdaPowertoolsFormatter):
    """Powertools' JSON log lines, each with the current correlation id; readable text lines
    instead when `SEATLEDGER_LOG_FORMAT=text` (as `make up` sets)."""

    _QUIET = {
        "level",
        "location",
        "message",
        "timestamp",
        "service",
        "sampling_rate",
        "correlation_id",
    }

    def __init__(self, text: bool | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.text = Settings.from_env().log_format == "text" if text is None else text

    def format(self, record: logging.LogRecord) -> str:
        if getattr(record, "correlation_id", None) is None:
            record.correlation_id = current()
        line = super().format(record)
        return as_text(json.loads(line)) if self.text else line


def as_text(log: dict[str, Any]) -> str:
    """One readable line of a Powertools log: time, service, correlation id, message, extras;
    an exception as its last line (the traceback stays in the JSON lines of Lambda)."""
    stamp = str(log.get("timestamp", ""))[11:19]  # "2026-12-01 13:22:14,123+0000"
    level = "" if log.get("level") == "INFO" else f" {log.get('level')}"
    if "exception" in log:
        log = {**log, "error": str(log["exception"]).strip().splitlines()[-1]}
    extras = " ".join(
        f"{k}={v}"
        for k, v in log.items()
        if k not in CorrelatedFormatter._QUIET
        and not k.startswith(("function_", "cold_start", "xray_", "exception", "stack_trace"))
    )
    cid = log.get("correlation_id") or "-"
    return f"{stamp} {log.get('service')}{level} [{cid}] {log.get('message')} {extras}".rstrip()


class CorrelatedText(logging.Formatter):
    """Plain `logging` lines (the local stack's own loggers); `%(correlated)s` is " [id]" when
    the line is about a request, else nothing."""

    def format(self, record: logging.LogRecord) -> str:
        record.correlated = f" [{cid}]" if (cid := current()) else ""
        return super().format(record)
