"""Domain errors -> HTTP, in one place. A client's mistake is a 4xx with a reason, never a 500."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.exceptions import RequestValidationError
from eventsourcing.persistence import IntegrityError, OperationalError

from domain import errors
from infra.api.auth import AccessError, Forbidden, Unauthorized
from infra.readmodels.queries import InvalidCursor

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
    """Bodies are JSON: anything else is refused (415) before validation guesses at a form."""
    if event.get("httpMethod") not in ("POST", "PUT", "PATCH"):
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
        ]
    )
    def busy(e: Exception) -> Response[str]:
        reason = "The ledger is busy; retry (an order: with the same Idempotency-Key)"
        response = problem(503, "Busy", reason)
        response.headers["Retry-After"] = "1"
        return response
