"""One correlation id per piece of work, from the API request to the views.

The API takes it from the request's `X-Correlation-Id` header (or API Gateway's request id) and
answers with it; the event store writes it on the items a save writes (`cid`); the stream
forwarder puts it in each bus event's detail; queue consumers take it from each detail, so what
a reaction saves carries it onward. It lives in a ContextVar, not in a Logger's keys: consumers
work on one batch in several threads, one record each. Log lines carry it (`infra.logs`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from domain.contract import CORRELATION_ID_PATTERN

HEADER = "X-Correlation-Id"
_VALID = re.compile(CORRELATION_ID_PATTERN)
_current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


def current() -> str | None:
    return _current.get()


def valid(value: object) -> str | None:
    """The value if it may be a correlation id (short, visible ASCII only), else None."""
    return value if isinstance(value, str) and _VALID.fullmatch(value) else None


@contextmanager
def correlated(value: str | None) -> Iterator[str | None]:
    """Work inside is about `value` (None: about nothing in particular)."""
    token = _current.set(valid(value))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def of_request(event: dict[str, Any]) -> str:
    """A request's id: the caller's header if valid, else API Gateway's request id."""
    headers = {str(k).lower(): v for k, v in (event.get("headers") or {}).items()}
    given = valid(headers.get(HEADER.lower()))
    context = event.get("requestContext") or {}
    return given or valid(context.get("requestId")) or "unknown"
