"""Routes of the ledger's REST API, on Powertools' API Gateway (REST) resolver.

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
from aws_lambda_powertools.event_handler.openapi.params import Header, Path

from domain.application import Ticketing
from infra.api.errors import install_error_handlers
from infra.api.models import (
    CreateShow,
    OrderAccepted,
    OrderOut,
    PaymentOut,
    PlaceOrder,
    SeatMapOut,
    SeatOut,
    ShowCreatedOut,
)
from infra.readmodels.catalog import Catalog
from infra.readmodels.queries import ORDER_FIELDS, ReadModels
from infra.settings import Settings
from infra.wiring import dynamodb, simulated_gateway, ticketing

DEV_ROUTES = "SEATLEDGER_DEV_ROUTES"  # set by `make up` only: never on AWS


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
    )
    install_error_handlers(api)

    @api.get("/", include_in_schema=False)
    def page() -> Response[str]:
        html = resources.files("infra.api").joinpath("seatmap.html").read_text()
        return Response(200, "text/html; charset=utf-8", html)

    @api.get("/openapi.json", include_in_schema=False)
    def spec() -> Response[str]:
        return Response(200, "application/json", api.get_openapi_json_schema())

    @api.post("/shows")
    def create_show(body: CreateShow) -> Response[ShowCreatedOut]:
        app, _, _ = _deps()
        show_id = app.create_show(
            body.show_id or uuid.uuid4(), body.name, seats=body.seats, sections=body.sections
        )
        return Response(201, "application/json", ShowCreatedOut(show_id=show_id))

    @api.post("/shows/<show_id>/orders")
    def place_order(
        show_id: Annotated[UUID, Path()],
        body: PlaceOrder,
        idempotency_key: Annotated[
            str | None, Header(alias="Idempotency-Key", max_length=200)
        ] = None,
    ) -> Response[OrderAccepted]:
        app, _, _ = _deps()
        key = idempotency_key or str(uuid.uuid4())
        order_id = app.place_order(show_id, body.customer_id, body.seats, key, body.payment_token)
        status = app.get_order(order_id).status.value
        accepted = OrderAccepted(order_id=order_id, status=status)  # type: ignore[arg-type]
        return Response(202, "application/json", accepted)

    @api.get("/orders/<order_id>")
    def get_order(order_id: Annotated[UUID, Path()]) -> OrderOut:
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
        payment = views.payment(order_id)
        return OrderOut(**_order_fields(item), payments=[PaymentOut(**payment)] if payment else [])

    @api.get("/customers/<customer_id>/orders")
    def customer_orders(customer_id: Annotated[str, Path(max_length=100)]) -> list[OrderOut]:
        _, views, _ = _deps()
        items = sorted(views.orders_of(customer_id), key=lambda i: i["placed_at"])
        return [OrderOut(**_order_fields(i), payments=[]) for i in items]

    @api.get("/shows/<show_id>/seats")
    def seat_map(show_id: Annotated[UUID, Path()]) -> SeatMapOut:
        app, views, _ = _deps()
        show = app.get_show(show_id)
        seats = [SeatOut(**seat) for seat in views.seat_map(show)]
        return SeatMapOut(show_id=show_id, name=show.name, seats=seats)

    if os.environ.get(DEV_ROUTES) == "1":

        @api.get("/dev/gateway/charges", include_in_schema=False)
        def charges() -> list[dict[str, Any]]:
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
