"""API Gateway's own refusals (an unknown path, no token, a throttle...) as the API's problem
documents, so that a client reads one shape whoever refused it."""

from __future__ import annotations

import json

from aws_cdk import aws_apigateway as apigw

from infra.api.problems import slug, type_uri

# The gateway's own refusals, as problem documents: id, type, status (None: the gateway's), kind,
# detail (None: the gateway's message). MISSING_AUTHENTICATION_TOKEN is what an unknown path gets.
GATEWAY_REFUSALS = (
    (
        "Unauthorized",
        apigw.ResponseType.UNAUTHORIZED,
        "401",
        "Unauthorized",
        "Send Authorization: Bearer <a valid ID token>",
    ),
    ("AccessDenied", apigw.ResponseType.ACCESS_DENIED, "403", "Forbidden", None),
    (
        "NoRoute",
        apigw.ResponseType.MISSING_AUTHENTICATION_TOKEN,
        "404",
        "NotFound",
        "No such route",
    ),
    ("Default4xx", apigw.ResponseType.DEFAULT_4_XX, None, "GatewayRefusal", None),
    ("Default5xx", apigw.ResponseType.DEFAULT_5_XX, None, "GatewayFault", None),
)


def refusal_template(status: str | None, kind: str, detail: str | None) -> str:
    """A gateway response's body: the API's problem document. The gateway's own message is
    already a quoted JSON string; its status is not available to a template, and RFC 9457 makes
    `status` optional, so the defaults leave it out."""
    text = json.dumps(detail) if detail else "$context.error.messageString"
    title = json.dumps(slug(kind).replace("-", " ").capitalize())
    if status is None:  # the gateway's own kind of refusal names it best
        title = '"$context.error.responseType"'
    fields = [f'"type": "{type_uri(kind)}"', f'"title": {title}']
    if status is not None:
        fields.append(f'"status": {status}')
    return "{" + ", ".join([*fields, f'"detail": {text}']) + "}"
