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
import hashlib
import uuid
from collections import Counter
from importlib import resources
from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Header, Path, Query
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse

from domain.application import Ticketing
from domain.errors import InvalidShow, UnknownOrder
from domain.layout import places_of
from domain.payment import payment_id_for
from infra.api.auth import ME, Caller, Forbidden, caller_of
from infra.api.errors import install_error_handlers, json_body
from infra.api.models import (
    CompactSeatMapOut,
    CreateShow,
    OrderAccepted,
    OrderOut,
    OrderPage,
    PaymentOut,
    PlaceOrder,
    Problem,
    SeatCounts,
    SeatMapOut,
    SeatOut,
    SectionSummary,
    ShowCreatedOut,
    ShowListed,
    ShowOut,
    ShowPage,
)
from infra.api.problems import MEDIA_TYPE
from infra.readmodels.catalog import Catalog
from infra.readmodels.projector import fold
from infra.readmodels.queries import ORDER_FIELDS, ReadModels, by_section, decode_cursor
from infra.settings import Settings
from infra.untrusted import NO_CONTROL
from infra.wiring import dynamodb, simulated_gateway, source, ticketing
from projections.views import Payments

# The spec's security requirement of every protected route (infra.api.endpoints says which).
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]
# What the payment of an order in a final status must show; a payment view that lags the
# orders view shows less, and the order's answer then reads the payment from the store.
SETTLED_PAYMENT = {
    "CONFIRMED": {"CAPTURED"},
    "PAYMENT_FAILED": {"DECLINED", "EXPIRED", "CAPTURED"},  # CAPTURED: late, refunded
    "CANCELLED": {"CAPTURED"},
}
REFUSALS = {
    400: "The body is not UTF-8 JSON within bounds",
    401: "No valid bearer token",
    403: "The caller may not do this",
    404: "Not found (or not the caller's to see)",
    409: "Conflicts with the ledger's state",
    413: "The body is over 10 MB",
    415: "The body is not application/json",
    422: "A field, parameter or header is invalid (`errors` lists them)",
    429: "Too many requests: the gateway's throttle (AWS)",
    503: "The store is busy or unreachable: retry after Retry-After seconds",
}
EVERY_ROUTE = (422, 429, 503)  # a path or query parameter, the gateway's throttle, the store
WITH_BODY = (400, 413, 415)


def _answers(status: int, model: Any, *refusals: int, **headers: str) -> dict[int, OpenAPIResponse]:
    """The spec's responses of a route: its success (with the headers it sets, by description)
    and every refusal it can give, each a problem document."""
    answers: dict[int, OpenAPIResponse] = {
        status: {"description": "Done", "content": {"application/json": {"model": model}}}
    }
    if headers:
        answers[status]["headers"] = {
            name: {"description": text, "schema": {"type": "string"}}
            for name, text in headers.items()
        }
    for code in sorted({*refusals, *EVERY_ROUTE}):
        answers[code] = {
            "description": REFUSALS[code],
            "content": {MEDIA_TYPE: {"model": Problem}},
        }
    return answers


SHOW_AT = "The show's address: /shows/{show_id}"
ORDER_AT = "Where to follow the order: /orders/{order_id}"


def _cached_answers(model: Any) -> dict[int, OpenAPIResponse]:
    """A seat map's: gzip when asked for, an ETag, and 304 when If-None-Match has it."""
    answers = _answers(
        200,
        model,
        404,
        ETag="Changes when the map does",
        **{"Content-Encoding": "gzip, if Accept-Encoding allows it"},
    )
    answers[304] = {"description": "Unchanged since the ETag sent in If-None-Match"}
    return answers


def _etag_matches(tag: str, if_none_match: str | None) -> bool:
    """If-None-Match's weak comparison (RFC 9110): any listed tag, or *."""
    listed = {t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")}
    return "*" in listed or tag.removeprefix("W/") in listed


@functools.cache
def _app() -> tuple[Ticketing, Catalog, Settings]:
    settings = Settings.from_env()
    return ticketing(settings), Catalog(dynamodb(), settings), settings


def _deps() -> tuple[Ticketing, ReadModels, Settings]:
    """The application, and the read models of whichever tables are live (see replay)."""
    app, catalog, settings = _app()
    return app, ReadModels(dynamodb(), catalog.live()), settings


def build_resolver() -> APIGatewayRestResolver:
    api = APIGatewayRestResolver(enable_validation=True, json_body_deserializer=json_body)
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
    # The docs page: Swagger UI over the same spec, its script and styles served inline (no CDN).
    api.enable_swagger(path="/docs", compress=True)  # title, schemes: from configure_openapi
    install_error_handlers(api)

    def caller() -> Caller:
        return caller_of(api.current_event.raw_event)

    def located(path: str) -> dict[str, str]:
        """A Location header for a resource at `path`, under the stage's prefix if any (the
        gateway's request path is `/v1/...` when the handler's is `/...`)."""
        event = api.current_event
        full = str(event.request_context.path or event.path)
        prefix = full[: -len(event.path)] if full.endswith(event.path) else ""
        return {"Location": prefix + path}

    def conditional(body: str) -> Response[str]:
        """The body with its ETag, or an empty 304 if the client holds it already."""
        tag = f'W/"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
        headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
        sent = {k.lower(): v for k, v in (api.current_event.headers or {}).items()}
        if _etag_matches(tag, sent.get("if-none-match")):
            return Response(304, None, "", headers, compress=False)
        return Response(200, "application/json", body, headers)

    @api.get("/", include_in_schema=False)
    def page() -> Response[str]:
        html = resources.files("infra.api").joinpath("seatmap.html").read_text()
        return Response(200, "text/html; charset=utf-8", html)

    @api.get("/openapi.json", include_in_schema=False)
    def spec() -> Response[str]:
        return Response(200, "application/json", api.get_openapi_json_schema())

    @api.post(
        "/shows",
        summary="Create a show (organizers)",
        security=BEARER,
        responses=_answers(201, ShowCreatedOut, 401, 403, 409, *WITH_BODY, Location=SHOW_AT),
    )
    def create_show(body: CreateShow) -> Response[ShowCreatedOut]:
        caller().require_organizer()
        app, _, _ = _deps()
        if body.starts_at is not None and body.starts_at.tzinfo is None:
            raise InvalidShow("starts_at needs a time zone, e.g. 2027-06-01T19:30:00Z")
        show_id = app.create_show(
            body.show_id or uuid.uuid4(),
            body.name,
            seats=body.seats,
            sections=body.sections,
            starts_at=body.starts_at,
        )
        created = ShowCreatedOut(show_id=show_id)
        return Response(201, "application/json", created, located(f"/shows/{show_id}"))

    @api.post(
        "/shows/<show_id>/orders",
        summary="Order seats, in the caller's name",
        description="The first order received for a seat gets it and is charged; later ones "
        "wait in line. The answer comes at once; follow `Location` for the outcome.",
        security=BEARER,
        responses=_answers(202, OrderAccepted, 401, 404, 409, *WITH_BODY, Location=ORDER_AT),
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
        return Response(202, "application/json", accepted, located(f"/orders/{order_id}"))

    @api.get(
        "/orders/<order_id>",
        summary="An order, with its payment",
        security=BEARER,
        responses=_answers(200, OrderOut, 401, 404),
    )
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

    @api.post(
        "/orders/<order_id>/cancel",
        summary="Cancel a confirmed order before the show (its customer)",
        security=BEARER,
        responses=_answers(202, OrderAccepted, 401, 403, 404, 409, *WITH_BODY, Location=ORDER_AT),
    )
    def cancel_order(order_id: Annotated[UUID, Path()]) -> Response[OrderAccepted]:
        """The customer cancels a confirmed order before the show starts: the seats are free
        at once, the refund follows. A repeat answers the same."""
        who = caller()
        app, _, _ = _deps()
        order = app.get_order(order_id)
        if not who.may_read(order.customer_id):
            raise UnknownOrder(f"No order {order_id}")
        if order.customer_id != who.subject:
            raise Forbidden("Only the order's customer may cancel it")
        app.cancel_order(order_id)
        accepted = OrderAccepted(order_id=order_id, status="CANCELLED")
        return Response(202, "application/json", accepted, located(f"/orders/{order_id}"))

    @api.get(
        "/customers/<customer_id>/orders",
        summary="A customer's orders, oldest first, a page at a time",
        security=BEARER,
        responses=_answers(200, OrderPage, 401, 403),
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
        who = caller()
        after = decode_cursor(cursor) if cursor is not None else None
        customer_id = who.subject if customer_id == ME else customer_id
        if not who.may_read(customer_id):
            # Not 404: the answer is the same for every id but the caller's, so it tells nothing.
            raise Forbidden("A customer may list only their own orders: /customers/me/orders")
        _, views, _ = _deps()
        items, next_cursor = views.orders_of(customer_id, limit, after)
        listed = [
            OrderOut(**_order_fields(i), failure_reason=i.get("failure_reason"), payments=[])
            for i in items
        ]
        return OrderPage(orders=listed, next_cursor=next_cursor)

    @api.get(
        "/shows", summary="Shows, newest first, a page at a time", responses=_answers(200, ShowPage)
    )
    def shows(
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        cursor: Annotated[str | None, Query(max_length=1000)] = None,
    ) -> ShowPage:
        after = decode_cursor(cursor) if cursor is not None else None
        _, views, _ = _deps()
        items, next_cursor = views.shows(limit, after)
        listed = [
            ShowListed(
                show_id=i["show"],
                name=i["name"],
                seat_count=i["seat_count"],
                created_at=i["created_at"],
            )
            for i in items
        ]
        return ShowPage(shows=listed, next_cursor=next_cursor)

    @api.get(
        "/shows/<show_id>",
        summary="A show: sections, prices and how many seats are free",
        responses=_answers(200, ShowOut, 404),
    )
    def show(show_id: Annotated[UUID, Path()]) -> ShowOut:
        app, views, _ = _deps()
        show = app.get_show(show_id)  # from the store, cached: a show never changes
        sections: dict[str, Counter[int]] = {}
        for place in places_of(by_section(show.price_bands)):
            sections.setdefault(place.section, Counter())[place.price_cents] += 1
        counts = views.seat_counts(show_id)
        return ShowOut(
            show_id=show_id,
            name=show.name,
            seat_count=show.seat_count,
            starts_at=show.starts_at,
            sections=[
                SectionSummary(name=name, seat_count=prices.total(), prices_cents=sorted(prices))
                for name, prices in sections.items()
            ],
            seats=SeatCounts(
                free=show.seat_count - counts["HELD"] - counts["SOLD"],
                held=counts["HELD"],
                sold=counts["SOLD"],
            ),
        )

    @api.get(
        "/shows/<show_id>/seats",
        summary="Every seat of a show: status, price, who holds it",
        compress=True,
        responses=_cached_answers(SeatMapOut),
    )
    def seat_map(show_id: Annotated[UUID, Path()]) -> Response[str]:
        app, views, _ = _deps()
        show = app.get_show(show_id)
        seats = [SeatOut(**seat) for seat in views.seat_map(show)]
        return conditional(
            SeatMapOut(show_id=show_id, name=show.name, seats=seats).model_dump_json()
        )

    @api.get(
        "/shows/<show_id>/seats/compact",
        summary="The seat map in a few bytes per seat",
        compress=True,
        responses=_cached_answers(CompactSeatMapOut),
    )
    def compact_seat_map(show_id: Annotated[UUID, Path()]) -> Response[str]:
        app, views, _ = _deps()
        show = app.get_show(show_id)
        compact = views.compact_seat_map(show)
        out = CompactSeatMapOut(show_id=show_id, name=show.name, **compact)
        return conditional(out.model_dump_json())

    if Settings.from_env().dev_routes:  # set by `make up` only: never on AWS

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

        @api.get("/dev/gateway/refunds", include_in_schema=False)
        def refunds() -> list[dict[str, Any]]:
            caller().require_organizer()
            _, _, settings = _deps()
            return [
                {"key": r.key, "amount_cents": r.amount_cents}
                for r in simulated_gateway(settings).refunds()
            ]

    return api


def _order_fields(item: dict[str, Any]) -> dict[str, Any]:
    return {k: item[k] for k in ORDER_FIELDS}
