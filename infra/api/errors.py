"""Domain errors -> HTTP, in one place. A client's mistake is a 4xx with a reason, never a 500."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from eventsourcing.persistence import IntegrityError, OperationalError

from domain import errors
from infra.api.auth import AccessError, Forbidden, Unauthorized
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


def problem(status: int, error: str, reason: str) -> Response[str]:
    return Response(status, "application/json", json.dumps({"error": error, "reason": reason}))


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
    body = {"error": "UnsupportedMediaType", "reason": "Send the body as application/json"}
    return {
        "statusCode": 415,
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _answer(status: int, error: str, reason: str, **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"Content-Type": "application/json", **headers},
        "body": json.dumps({"error": error, "reason": reason}),
        "isBase64Encoded": False,
    }


def refuse_unreadable(event: dict[str, Any]) -> dict[str, Any] | None:
    """A body that is not UTF-8 JSON within bounds (nesting, integer digits) is a 400 here,
    before the resolver's parser meets it (a RecursionError or a ValueError: a 500)."""
    body = event.get("body")
    if not body:
        return None
    try:
        if event.get("isBase64Encoded"):
            raise Unreadable("base64-encoded bodies are not accepted")
        body.encode("utf-8")  # the adapter keeps undecodable bytes as surrogates
        loads(body)
    except UnicodeEncodeError:
        return _answer(400, "BadRequest", "body: not UTF-8")
    except Unreadable as e:
        return _answer(400, "BadRequest", f"body: {e}")
    return None


def install_error_handlers(api: APIGatewayRestResolver) -> None:
    @api.exception_handler(RequestValidationError)  # type: ignore[untyped-decorator]
    def invalid(e: RequestValidationError) -> Response[str]:
        details = [
            {"where": ".".join(map(str, err.get("loc", ()))), "problem": err.get("msg", "")}
            for err in e.errors()
        ]
        reason = "; ".join(f"{d['where']}: {d['problem']}" for d in details[:5])
        body = {"error": "ValidationError", "reason": reason, "details": details}
        return Response(422, "application/json", json.dumps(body))

    @api.exception_handler([errors.DomainError, AccessError])  # type: ignore[untyped-decorator]
    def refused(e: Exception) -> Response[str]:
        status = next((s for cls, s in STATUS.items() if isinstance(e, cls)), 409)
        return problem(status, type(e).__name__, str(e))

    @api.exception_handler(InvalidCursor)  # type: ignore[untyped-decorator]
    def bad_cursor(e: InvalidCursor) -> Response[str]:
        return problem(422, "ValidationError", str(e))

    @api.not_found
    def no_route(e: Exception) -> Response[str]:
        return problem(404, "NotFound", "No such route")

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
