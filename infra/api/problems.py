"""The API's error answers: RFC 9457 problem details (`application/problem+json`), one shape for
every refusal, whoever gives it: the resolver's handlers, the checks before it, `make up`'s HTTP
adapter and API Gateway's own refusals (`cdk.api`).

`type` names the kind of problem, `title` says it in words, `detail` says what was wrong with
this request, and a validation failure adds `errors`, one entry per field. Types are tag URIs
(RFC 4151): stable names that are not meant to be fetched.
"""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from typing import Any

MEDIA_TYPE = "application/problem+json"
TYPE_PREFIX = "tag:seatledger,2026:"


def slug(name: str) -> str:
    """`UnknownShow` -> `unknown-show`."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "-", name).lower()


def type_uri(name: str) -> str:
    return TYPE_PREFIX + slug(name)


def problem_body(
    status: int,
    name: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    """A problem document; `name` is its kind, e.g. `UnknownShow` or `ValidationError`."""
    body: dict[str, Any] = {
        "type": type_uri(name),
        "title": title or slug(name).replace("-", " ").capitalize(),
        "status": status,
        "detail": detail,
    }
    if errors is not None:
        body["errors"] = errors
    return body


def problem_answer(
    status: int,
    name: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A problem as a Lambda proxy answer."""
    return {
        "statusCode": status,
        "headers": {"Content-Type": MEDIA_TYPE, **(headers or {})},
        "body": json.dumps(problem_body(status, name, detail, errors=errors)),
        "isBase64Encoded": False,
    }


def status_name(status: int) -> str:
    """The status's own name as a problem kind, for refusals with nothing more to say. RFC 9110's
    name for 413, which Python's phrase for it differs from before 3.13."""
    if status == 413:
        return "ContentTooLarge"
    return HTTPStatus(status).phrase.title().replace(" ", "").replace("-", "")
