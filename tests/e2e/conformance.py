"""Every answer the end-to-end tests get, checked against the API's own spec with schemathesis'
response conformance checks: a documented status, the documented content type, a body of the
documented schema and the documented headers. Routes outside the spec (the page, the spec, the
docs, the local stack's dev routes) and 405s (a method the spec does not have) are not checked.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

import requests
import schemathesis
from schemathesis.core.transport import Response
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from infra.api.endpoints import ENDPOINTS

CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]


@dataclass(frozen=True)
class Exchange:
    """One request as sent and its answer as received."""

    method: str
    url: str
    request_headers: dict[str, str]
    status: int
    headers: dict[str, str]
    content: bytes


@functools.cache
def _schema(base_url: str) -> schemathesis.BaseSchema:
    return schemathesis.openapi.from_url(f"{base_url}/openapi.json")


def check(base_url: str, exchange: Exchange) -> bool:
    """Raises if the answer breaks the spec; False when the spec does not cover the request."""
    target = urlsplit(exchange.url)
    endpoint = next(
        (
            e
            for e in ENDPOINTS
            if e.method == exchange.method and e.pattern.match(target.path) and e.path != "/"
        ),
        None,
    )
    if endpoint is None or exchange.status == 405:
        return False
    schema = _schema(base_url)
    if endpoint.path not in schema.raw_schema["paths"]:  # /openapi.json, /docs, the dev routes
        return False
    operation = schema[endpoint.path][exchange.method]
    names = endpoint.parameters
    parts = zip(target.path.split("/"), endpoint.path.split("/"), strict=True)
    values = [part for part, template in parts if template.startswith("{")]
    case = operation.Case(
        method=exchange.method,
        path_parameters=dict(zip(names, values, strict=True)),
        query=dict(parse_qsl(target.query)) or None,
        headers=exchange.request_headers,
    )
    prepared = requests.Request(exchange.method, exchange.url, headers=exchange.request_headers)
    response = Response(
        status_code=exchange.status,
        headers={k.lower(): [v] for k, v in exchange.headers.items()},
        content=exchange.content,
        request=prepared.prepare(),
        elapsed=0.0,
        verify=False,
    )
    case.validate_response(response, checks=CHECKS)
    return True
