"""Routes of the ledger's REST API, on Powertools' API Gateway (REST) resolver.

Who may call what (the caller comes from the verified token's claims, `auth.py`): anyone reads a
seat map, the page and the spec; a customer places orders in their own name and reads their own
orders; an organizer creates shows and reads any order. Another customer's order is answered as
unknown (404): order ids derive from show, customer and key, so a 403 would confirm a guess.

Writes go to the event store; reads come from the read models, which may lag the store by a
moment (an order just placed is answered from the store until its view exists). Domain errors
map to HTTP in `errors.py`, in one place.
"""

from __future__ import annotations

import functools
import os
import uuid
from importlib import resources
from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Header, Path
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from domain.application import Ticketing
from domain.errors import UnknownOrder
from domain.payment import payment_id_for
from infra.api.auth import ME, Caller, Forbidden, caller_of
from infra.api.errors import install_error_handlers
from infra.api.models import (
    CreateShow,
    OrderAccepted,
    OrderOut,
    PaymentOut,
    PlaceOrder,
    Problem,
    SeatMapOut,
    SeatOut,
    ShowCreatedOut,
)
from infra.readmodels.catalog import Catalog
from infra.readmodels.projector import fold
from infra.readmodels.queries import ORDER_FIELDS, ReadModels
from infra.settings import Settings
from infra.untrusted import NO_CONTROL
from infra.wiring import dynamodb, simulated_gateway, source, ticketing
from projections.views import Payments

DEV_ROUTES = "SEATLEDGER_DEV_ROUTES"  # set by `make up` only: never on AWS
# The spec's security requirement of every protected route (infra.api.endpoints says which).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
# What the payment of an order in a final status must show; a payment view that lags the
# orders view shows less, and the order's answer then reads the payment from the store.
SETTLED_PAYMENT = {"CONFIRMED": "CAPTURED", "PAYMENT_FAILED": "DECLINED"}
REFUSALS = {
    401: "No valid bearer token",
    403: "The caller may not do this",
    404: "Not found (or not the caller's to see)",
    409: "Conflicts with the ledger's state",
}


def _answers(status: int, model: Any, *refusals: int) -> dict[int, OpenAPIResponse]:
    """The spec's responses of a route: its success and the refusals it can give."""
    answers: dict[int, OpenAPIResponse] = {
        status: {"description": "Done", "content": {"application/json": {"model": model}}}
    }
    for code in refusals:
        answers[code] = {
            "description": REFUSALS[code],
            "content": {"application/json": {"model": Problem}},
        }
    return answers


@functools.cache
def _app() -> tuple[Ticketing, Catalog, Settings]:
    settings = Settings.from_env()
    return ticketing(settings), Catalog(dynamodb(), settings), settings


def _deps() -> tuple[Ticketing, ReadModels, Settings]:
    """The application, and the read models of whichever tables are live (see replay)."""
    app, catalog, settings = _app()
    return app, ReadModels(dynamodb(), catalog.live()), settings


def build_resolver() -> APIGatewayRestResolver:
    api = APIGatewayRestResolver(enable_validation=True)
    api.configure_openapi(
        title="seatledger",
        version="0.1.0",
        description="Sell seats once, charge cards once. Client mistakes get 4xx with a reason.",
        security_schemes={
            "bearer": HTTPBearer(
                bearerFormat="JWT",
                description="An ID token of the ledger's Cognito user pool (locally: from "
                "`seatledger token`). Organizers are members of its 'organizers' group.",
            )
        },
    )
    install_error_handlers(api)

    def caller() -> Caller:
        return caller_of(api.current_event.raw_event)

    @api.get("/", include_in_schema=False)
    def page() -> Response[str]:
        html = resources.files("infra.api").joinpath("seatmap.html").read_text()
        return Response(200, "text/html; charset=utf-8", html)

    @api.get("/openapi.json", include_in_schema=False)
    def spec() -> Response[str]:
        return Response(200, "application/json", api.get_openapi_json_schema())

    @api.post("/shows", security=BEARER, responses=_answers(201, ShowCreatedOut, 401, 403, 409))
    def create_show(body: CreateShow) -> Response[ShowCreatedOut]:
        caller().require_organizer()
        app, _, _ = _deps()
        show_id = app.create_show(
            body.show_id or uuid.uuid4(), body.name, seats=body.seats, sections=body.sections
        )
        return Response(201, "application/json", ShowCreatedOut(show_id=show_id))

    @api.post(
        "/shows/<show_id>/orders",
        security=BEARER,
        responses=_answers(202, OrderAccepted, 401, 404, 409),
    )
    def place_order(
        show_id: Annotated[UUID, Path()],
        body: PlaceOrder,
        idempotency_key: Annotated[
            str,
            Header(
                alias="Idempotency-Key",
                min_length=1,
                max_length=200,
                pattern=NO_CONTROL,
                description="Required: a retry with the same key is the same order",
            ),
        ],
    ) -> Response[OrderAccepted]:
        customer_id = caller().subject
        app, _, _ = _deps()
        order_id = app.place_order(
            show_id, customer_id, body.seats, idempotency_key, body.payment_token
        )
        status = app.get_order(order_id).status.value
        accepted = OrderAccepted(order_id=order_id, status=status)  # type: ignore[arg-type]
        return Response(202, "application/json", accepted)

    @api.get("/orders/<order_id>", security=BEARER, responses=_answers(200, OrderOut, 401, 404))
    def get_order(order_id: Annotated[UUID, Path()]) -> OrderOut:
        who = caller()
        app, views, _ = _deps()
        item = views.order(order_id)
        if item is None:  # not projected yet: answer from the store
            order = app.get_order(order_id)
            item = {
                "order_id": order.id,
                "show_id": order.show_id,
                "customer_id": order.customer_id,
                "seats": order.seat_labels,
                "status": order.status.value,
                "amount_cents": order.amount_cents,
            }
        if not who.may_read(item["customer_id"]):
            raise UnknownOrder(f"No order {order_id}")  # as the store says of one it lacks
        payment = views.payment(order_id)
        settled = SETTLED_PAYMENT.get(item["status"])
        if settled and (payment or {}).get("status") != settled:
            payment = fold(Payments(), None, source(app).history(payment_id_for(order_id)))
        return OrderOut(**_order_fields(item), payments=[PaymentOut(**payment)] if payment else [])

    @api.get(
        "/customers/<customer_id>/orders",
        security=BEARER,
        responses=_answers(200, list[OrderOut], 401, 403),
    )
    def customer_orders(
        customer_id: Annotated[
            str,
            Path(
                max_length=100,
                pattern=NO_CONTROL,
                description="A customer id, or `me` for the caller's own",
            ),
        ],
    ) -> list[OrderOut]:
        who = caller()
        customer_id = who.subject if customer_id == ME else customer_id
        if not who.may_read(customer_id):
            # Not 404: the answer is the same for every id but the caller's, so it tells nothing.
            raise Forbidden("A customer may list only their own orders: /customers/me/orders")
        _, views, _ = _deps()
        items = sorted(views.orders_of(customer_id), key=lambda i: i["placed_at"])
        return [OrderOut(**_order_fields(i), payments=[]) for i in items]

    @api.get("/shows/<show_id>/seats", responses=_answers(200, SeatMapOut, 404))
    def seat_map(show_id: Annotated[UUID, Path()]) -> SeatMapOut:
        app, views, _ = _deps()
        show = app.get_show(show_id)
        seats = [SeatOut(**seat) for seat in views.seat_map(show)]
        return SeatMapOut(show_id=show_id, name=show.name, seats=seats)

    if os.environ.get(DEV_ROUTES) == "1":

        @api.get("/dev/gateway/charges", include_in_schema=False)
        def charges() -> list[dict[str, Any]]:
            caller().require_organizer()
            _, _, settings = _deps()
            return [
                {
                    "key": c.key,
                    "token": c.token,
                    "amount_cents": c.amount_cents,
                    "result": c.result.value,
                }
                for c in simulated_gateway(settings).charges()
            ]

    return api


def _order_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ORDER_FIELDS}
