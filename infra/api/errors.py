"""Domain errors -> HTTP, in one place. A client's mistake is a 4xx with a reason, never a 500;
every refusal is a problem document (`problems.py`)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from eventsourcing.persistence import IntegrityError, OperationalError

from domain import errors
from infra.api.auth import AccessError, Forbidden, Unauthorized
from infra.api.endpoints import allowed_methods
from infra.api.problems import MEDIA_TYPE, problem_answer, problem_body
from infra.dynamodb.client import UNREACHABLE_ERRORS
from infra.readmodels.queries import InvalidCursor
from infra.untrusted import Unreadable, loads

STATUS: dict[type[Exception], int] = {
    Unauthorized: 401,
    Forbidden: 403,
    errors.UnknownShow: 404,
    errors.UnknownOrder: 404,
    errors.UnknownPayment: 404,
    errors.UnknownSeat: 422,
    errors.InvalidShow: 422,
    errors.EmptyOrder: 422,
    errors.TooManySeats: 422,
    errors.DuplicateSeats: 422,
    errors.ShowAlreadyExists: 409,
    errors.IdempotencyKeyReused: 409,
    errors.InvalidTransition: 409,
}


def problem(
    status: int, name: str, detail: str, errors: list[dict[str, str]] | None = None
) -> Response[str]:
    body = problem_body(status, name, detail, errors=errors)
    return Response(status, MEDIA_TYPE, json.dumps(body))


def json_body(text: str) -> Any:
    """A request body's JSON. A number Python will not convert (over 4,300 digits) is a decode
    error like any other: validation answers 422 for it, not the handler 500."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError as e:
        raise json.JSONDecodeError(str(e), text, 0) from e


def refuse_non_json(event: dict[str, Any]) -> dict[str, Any] | None:
    """Bodies are JSON: anything else is refused (415) before validation guesses at a form.
    A request without a body (`POST /orders/{id}/cancel`) needs no content type."""
    if event.get("httpMethod") not in ("POST", "PUT", "PATCH") or not event.get("body"):
        return None
    headers = {k.lower(): v for k, v in (event.get("headers") or {}).items()}
    content_type = str(headers.get("content-type") or "").split(";")[0].strip().lower()
    if content_type == "application/json":
        return None
    return problem_answer(415, "UnsupportedMediaType", "Send the body as application/json")


def refuse_unreadable(event: dict[str, Any]) -> dict[str, Any] | None:
    """A body that is not UTF-8 JSON within bounds (nesting, integer digits) is a 400 here,
    before the resolver's parser meets it (a RecursionError or a ValueError: a 500).

    API Gateway hands every body over base64-encoded (the stack's binary media type is */*, for
    gzip answers): it is decoded here, in place, so that what follows reads text."""
    body = event.get("body")
    if not body:
        return None
    try:
        if event.get("isBase64Encoded"):
            body = base64.b64decode(body, validate=True).decode("utf-8")
            event["body"], event["isBase64Encoded"] = body, False
        body.encode("utf-8")  # the adapter keeps undecodable bytes as surrogates
        loads(body)
    except (UnicodeError, binascii.Error):
        return problem_answer(400, "BadRequest", "body: not UTF-8")
    except Unreadable as e:
        return problem_answer(400, "BadRequest", f"body: {e}")
    return None


def _where(loc: tuple[Any, ...]) -> dict[str, str]:
    """Where a validation error is, RFC 9457 style: a JSON pointer into the body, or the name of
    the query parameter, header or path parameter."""
    kind, *rest = loc or ("body",)
    if kind == "body":
        return {"pointer": "#/" + "/".join(str(p) for p in rest)}
    return {str(kind): ".".join(map(str, rest))}


def install_error_handlers(api: APIGatewayRestResolver) -> None:
    @api.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid(e: RequestValidationError) -> Response[str]:
        found = [
            {"detail": str(err.get("msg", "")), **_where(tuple(err.get("loc", ())))}
            for err in e.errors()
        ]
        detail = "; ".join(
            f"{next(v for k, v in f.items() if k != 'detail')}: {f['detail']}" for f in found[:5]
        )
        return problem(422, "ValidationError", detail, errors=found)

    @api.exception_handler([errors.DomainError, AccessError])  # type: ignore[untyped-decorator]
    def refused(e: Exception) -> Response[str]:
        status = next((s for cls, s in STATUS.items() if isinstance(e, cls)), 409)
        return problem(status, type(e).__name__, str(e))

    @api.exception_handler(InvalidCursor)  # type: ignore[untyped-decorator]
    def bad_cursor(e: InvalidCursor) -> Response[str]:
        return problem(
            422, "ValidationError", str(e), errors=[{"detail": str(e), "query": "cursor"}]
        )

    @api.not_found
    def no_route(e: Exception) -> Response[str]:
        """No route for this method: a 405 naming the methods the path has, else a 404."""
        event = api.current_event
        allowed = allowed_methods(event.path)
        if not allowed:
            return problem(404, "NotFound", "No such route")
        detail = f"{event.http_method} is not served here; allowed: {', '.join(allowed)}"
        response = problem(405, "MethodNotAllowed", detail)
        response.headers["Allow"] = ", ".join(allowed)
        return response

    @api.exception_handler(
        [  # type: ignore[untyped-decorator]
            IntegrityError,
            OperationalError,
            errors.TransientError,
            *UNREACHABLE_ERRORS,
        ]
    )
    def busy(e: Exception) -> Response[str]:
        if _unreachable(e):  # logged once per change by the client's hooks, not per call
            response = problem(503, "Unavailable", "The ledger's store is unreachable; retry")
        else:
            reason = "The ledger is busy; retry (an order: with the same Idempotency-Key)"
            response = problem(503, "Busy", reason)
        response.headers["Retry-After"] = "1"
        return response


def _unreachable(e: BaseException | None) -> bool:
    while e is not None:
        if isinstance(e, UNREACHABLE_ERRORS):
            return True
        e = e.__cause__ or e.__context__
    return False
