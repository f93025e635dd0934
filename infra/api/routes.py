"""The ledger's REST API, on Powertools' API Gateway (REST) resolver: the page, the spec and its
docs here; shows and seat maps in `shows.py`, orders in `orders.py`.

Who may call what (the caller comes from the verified token's claims, `auth.py`): anyone reads a
seat map, the page and the spec; a customer places orders in their own name and reads their own
orders; an organizer creates shows and reads any order. Another customer's order is answered as
unknown (404): order ids derive from show, customer and key, so a 403 would confirm a guess.

Writes go to the event store; reads come from the read models, which may lag the store by a
moment (an order just placed is answered from the store until its view exists). Domain errors
map to HTTP in `errors.py`, in one place.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer

from infra.api import orders, shows
from infra.api.context import caller, deps
from infra.api.errors import install_error_handlers, json_body
from infra.settings import Settings
from infra.wiring import simulated_gateway


def build_resolver() -> APIGatewayRestResolver:
    api = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=json_body)
    api.configure_openapi(
        title="seatledger",
        version="0.1.0",
        description="Sell seats once, charge cards once. Every refusal is an RFC 9457 problem "
        "document (application/problem+json): type, title, status, detail, and `errors` per "
        "invalid field. A method a path does not serve is 405 with `Allow`; an unknown path 404. "
        "Lists are paged: pass `next_cursor` back as `cursor`.",
        security_schemes={
            "bearer": HTTPBearer(
                bearerFormat="JWT",
                description="An ID token of the ledger's Cognito user pool (locally: from "
                "`seatledger token`). Organizers are members of its 'organizers' group.",
            )
        },
    )
    # The docs page: Swagger UI over the same spec, its script and styles served inline (no CDN).
    api.enable_swagger(path="/docs", compress=True)  # title, schemes: from configure_openapi
    install_error_handlers(api)

    @api.get("/", include_in_schema=False)
    def page() -> Response[str]:
        html = resources.files("infra.api").joinpath("seatmap.html").read_text()
        return Response(200, "text/html; charset=utf-8", html)

    @api.get("/openapi.json", include_in_schema=False)
    def spec() -> Response[str]:
        return Response(200, "application/json", api.get_openapi_json_schema())

    api.include_router(shows.router)
    api.include_router(orders.router)
    if Settings.from_env().dev_routes:  # set by `make up` only: never on AWS

        @api.get("/dev/gateway/charges", include_in_schema=False)
        def charges() -> list[dict[str, Any]]:
            caller(api).require_organizer()
            _, _, settings = deps()
            return [
                {
                    "key": c.key,
                    "token": c.token,
                    "amount_cents": c.amount_cents,
                    "result": c.result.value,
                }
                for c in simulated_gateway(settings).charges()
            ]

        @api.get("/dev/gateway/refunds", include_in_schema=False)
        def refunds() -> list[dict[str, Any]]:
            caller(api).require_organizer()
            _, _, settings = deps()
            return [
                {"key": r.key, "amount_cents": r.amount_cents}
                for r in simulated_gateway(settings).refunds()
            ]

    return api
