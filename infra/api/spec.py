"""What the OpenAPI spec says each route answers: its success, the headers it sets, and every
refusal it can give, each a problem document (`problems.py`)."""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from infra.api.models import Problem
from infra.api.problems import MEDIA_TYPE

# The spec's security requirement of every protected route (infra.api.endpoints says which).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
REFUSALS = {
    400: "The body is not UTF-8 JSON within bounds",
    401: "No valid bearer token",
    403: "The caller may not do this",
    404: "Not found (or not the caller's to see)",
    409: "Conflicts with the ledger's state",
    413: "The body is over 10 MB",
    415: "The body is not application/json",
    422: "A field, parameter or header is invalid (`errors` lists them)",
    429: "Too many requests: the gateway's throttle (AWS)",
    503: "The store is busy or unreachable: retry after Retry-After seconds",
}
EVERY_ROUTE = (422, 429, 503)  # a path or query parameter, the gateway's throttle, the store
WITH_BODY = (400, 413, 415)


def answers(status: int, model: Any, *refusals: int, **headers: str) -> dict[int, OpenAPIResponse]:
    """The spec's responses of a route: its success (with the headers it sets, by description)
    and every refusal it can give, each a problem document."""
    answers: dict[int, OpenAPIResponse] = {
        status: {"description": "Done", "content": {"application/json": {"model": model}}}
    }
    if headers:
        answers[status]["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    for code in sorted({*refusals, *EVERY_ROUTE}):
        answers[code] = {
            "description": REFUSALS[code],
            "content": {MEDIA_TYPE: {"model": Problem}},
        }
    return answers


SHOW_AT = "The show's address: /shows/{show_id}"
ORDER_AT = "Where to follow the order: /orders/{order_id}"


def cached_answers(model: Any) -> dict[int, OpenAPIResponse]:
    """A seat map's: gzip when asked for, an ETag, and 304 when If-None-Match has it."""
    found = answers(
        200,
        model,
        404,
        ETag="Changes when the map does",
        **{"Content-Encoding": "gzip, if Accept-Encoding allows it"},
    )
    found[304] = {"description": "Unchanged since the ETag sent in If-None-Match"}
    return found
