"""Orders: a customer places orders in their own name, reads and cancels their own; an
organizer reads any. Another customer's order is answered as unknown (404): order ids derive
from show, customer and key, so a 403 would confirm a guess."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query

from domain.errors import UnknownOrder
from domain.payment import payment_id_for
from infra.api.auth import ME, Forbidden
from infra.api.context import caller, deps, located
from infra.api.models import OrderAccepted, OrderOut, OrderPage, PaymentOut, PlaceOrder
from infra.api.spec import BEARER, ORDER_AT, WITH_BODY, answers
from infra.readmodels.projector import fold
from infra.readmodels.queries import ORDER_FIELDS, decode_cursor
from infra.untrusted import NO_CONTROL
from infra.wiring import source
from projections.views import Payments

router = Router()  # type: ignore[no-untyped-call]
# What the payment of an order in a final status must show; a payment view that lags the
# orders view shows less, and the order's answer then reads the payment from the store.
SETTLED_PAYMENT = {
    "CONFIRMED": {"CAPTURED"},
    "PAYMENT_FAILED": {"DECLINED", "EXPIRED", "CAPTURED"},  # CAPTURED: late, refunded
    "CANCELLED": {"CAPTURED"},
}


@router.post(
    "/shows/<show_id>/orders",
    summary="Order seats, in the caller's name",
    description="The first order received for a seat gets it and is charged; later ones "
    "wait in line. The answer comes at once; follow `Location` for the outcome.",
    security=BEARER,
    responses=answers(202, OrderAccepted, 401, 404, 409, *WITH_BODY, Location=ORDER_AT),
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
    customer_id = caller(router).subject
    app, _, _ = deps()
    order_id = app.place_order(
        show_id, customer_id, body.seats, idempotency_key, body.payment_token
    )
    status = app.get_order(order_id).status.value
    accepted = OrderAccepted(order_id=order_id, status=status)  # type: ignore[arg-type]
    return Response(202, "application/json", accepted, located(router, f"/orders/{order_id}"))


@router.get(
    "/orders/<order_id>",
    summary="An order, with its payment",
    security=BEARER,
    responses=answers(200, OrderOut, 401, 404),
)
def get_order(order_id: Annotated[UUID, Path()]) -> OrderOut:
    who = caller(router)
    app, views, _ = deps()
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
            "failure_reason": order.failure_reason or None,
        }
    if not who.may_read(item["customer_id"]):
        raise UnknownOrder(f"No order {order_id}")  # as the store says of one it lacks
    payment = views.payment(order_id)
    settled = SETTLED_PAYMENT.get(item["status"])
    if settled and (payment or {}).get("status") not in settled:
        payment = fold(Payments(), None, source(app).history(payment_id_for(order_id)))
    return OrderOut(
        **_order_fields(item),
        failure_reason=item.get("failure_reason"),
        payments=[PaymentOut(**payment)] if payment else [],
    )


@router.post(
    "/orders/<order_id>/cancel",
    summary="Cancel a confirmed order before the show (its customer)",
    security=BEARER,
    responses=answers(202, OrderAccepted, 401, 403, 404, 409, *WITH_BODY, Location=ORDER_AT),
)
def cancel_order(order_id: Annotated[UUID, Path()]) -> Response[OrderAccepted]:
    """The customer cancels a confirmed order before the show starts: the seats are free
    at once, the refund follows. A repeat answers the same."""
    who = caller(router)
    app, _, _ = deps()
    order = app.get_order(order_id)
    if not who.may_read(order.customer_id):
        raise UnknownOrder(f"No order {order_id}")
    if order.customer_id != who.subject:
        raise Forbidden("Only the order's customer may cancel it")
    app.cancel_order(order_id)
    accepted = OrderAccepted(order_id=order_id, status="CANCELLED")
    return Response(202, "application/json", accepted, located(router, f"/orders/{order_id}"))


@router.get(
    "/customers/<customer_id>/orders",
    summary="A customer's orders, oldest first, a page at a time",
    security=BEARER,
    responses=answers(200, OrderPage, 401, 403),
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
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> OrderPage:
    who = caller(router)
    after = decode_cursor(cursor) if cursor is not None else None
    customer_id = who.subject if customer_id == ME else customer_id
    if not who.may_read(customer_id):
        # Not 404: the answer is the same for every id but the caller's, so it tells nothing.
        raise Forbidden("A customer may list only their own orders: /customers/me/orders")
    _, views, _ = deps()
    items, next_cursor = views.orders_of(customer_id, limit, after)
    listed = [
        OrderOut(**_order_fields(i), failure_reason=i.get("failure_reason"), payments=[])
        for i in items
    ]
    return OrderPage(orders=listed, next_cursor=next_cursor)


def _order_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ORDER_FIELDS}
