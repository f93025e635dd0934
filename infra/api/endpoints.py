"""Every route of the API and whether it is public: one list for the CDK stack (which puts the
Cognito authorizer on every other method) and for `make up`'s adapter (which checks tokens on
the same ones). tests/unit/api checks it against the routes the resolver serves."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str  # API Gateway's template: {name} for a path parameter
    public: bool = False  # no token asked for
    local_only: bool = False  # served by `make up` only, never deployed

    @cached_property
    def pattern(self) -> re.Pattern[str]:
        return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(self.path)) + "$")

    @property
    def parameters(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("GET", "/", public=True),  # the seat map page
    Endpoint("GET", "/openapi.json", public=True),
    Endpoint("GET", "/docs", public=True),  # Swagger UI over the spec
    Endpoint("GET", "/shows", public=True),  # a box office lists its shows to anyone
    Endpoint("GET", "/shows/{show_id}", public=True),
    Endpoint("GET", "/shows/{show_id}/seats", public=True),
    Endpoint("GET", "/shows/{show_id}/seats/compact", public=True),
    Endpoint("POST", "/shows"),
    Endpoint("POST", "/shows/{show_id}/orders"),
    Endpoint("GET", "/orders/{order_id}"),
    Endpoint("POST", "/orders/{order_id}/cancel"),
    Endpoint("GET", "/customers/{customer_id}/orders"),
    Endpoint("GET", "/dev/gateway/charges", local_only=True),
    Endpoint("GET", "/dev/gateway/refunds", local_only=True),
)


def endpoint_for(method: str, path: str) -> Endpoint | None:
    """The endpoint a request is for; None when no route serves it (answered 404)."""
    return next((e for e in ENDPOINTS if e.method == method and e.pattern.match(path)), None)


def allowed_methods(path: str) -> list[str]:
    """The methods the API serves at `path` (a route's template matched); [] for no route."""
    return sorted({e.method for e in ENDPOINTS if e.pattern.match(path)})
