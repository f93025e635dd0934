"""`seatledger query ...`: the read models (seat map, orders, payments), as the API serves them.

The views lag the store by a moment, so an order placed just now may not be found yet.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import typer

from cli.common import OPERATOR_NOTE, Exit, errors, fail, read_models, table, use_stack
from cli.history import open_app, parse_id, short, when
from domain.errors import UnknownShow
from infra.readmodels.queries import ORDER_FIELDS

query = typer.Typer(
    help=f"Read the read models: seat map, orders, payments.\n\n{OPERATOR_NOTE}",
    no_args_is_help=True,
)
PAYMENT_FIELDS = ("payment_id", "order_id", "amount_cents", "status", "captured_cents")
LAG = "(the read models lag the store by a moment: an order placed just now may not be there yet)"


def _public(item: dict[str, Any], first: tuple[str, ...]) -> dict[str, Any]:
    """The item in a stable field order (DynamoDB keeps none), without the table's key."""
    rest = sorted(k for k in item if k not in first and k != "pk")
    return {k: item[k] for k in (*first, *rest) if k in item}


def _money(cents: Any) -> str:
    return "" if cents is None else f"{int(cents) / 100:.2f}"


@query.command("seats", epilog=OPERATOR_NOTE)
def seats(ctx: typer.Context, show_id: str = typer.Argument(..., help="The show.")) -> None:
    """Every seat of a show: FREE, HELD or SOLD, its holder and how many orders wait."""
    out = ctx.obj.output
    ident = parse_id(show_id, "show")
    app = open_app(ctx.obj.aws)  # the layout comes from the store: free seats have no item
    try:
        show = app.get_show(ident)
    except UnknownShow:
        fail(Exit.NOT_FOUND, f"no show {ident} in the event store")
    rows = read_models().seat_map(show)
    counts = Counter(r["status"] for r in rows)
    summary = ", ".join(f"{counts[s]} {s}" for s in ("FREE", "HELD", "SOLD") if counts[s])
    out.emit(
        {"show_id": str(ident), "name": show.name, "seats": rows},
        table(
            f"{show.name} ({ident}): {summary}",
            ["seat", "price", "status", "order", "waiting"],
            [
                [
                    r["label"],
                    _money(r["price_cents"]),
                    r["status"],
                    r["order_id"],
                    r["queue_length"] or "",
                ]
                for r in rows
            ],
        ),
    )


@query.command("order", epilog=OPERATOR_NOTE)
def order(ctx: typer.Context, order_id: str = typer.Argument(..., help="The order.")) -> None:
    """One order: status, seats, amount and when each status was reached."""
    out = ctx.obj.output
    ident = parse_id(order_id, "order")
    use_stack(ctx.obj.aws)
    item = read_models().order(ident)
    if item is None:
        fail(Exit.NOT_FOUND, f"no order {ident} {LAG}")
    item = _public(item, ORDER_FIELDS)
    rows = [[k, short(v, 10**6) if not isinstance(v, str) else v] for k, v in item.items()]
    details = table(f"order {ident}", ["field", "value"], rows)
    details.columns[1].overflow = "fold"
    out.emit(item, details)


@query.command("orders", epilog=OPERATOR_NOTE)
def orders(
    ctx: typer.Context,
    customer: str = typer.Option(..., "--customer", help="The customer whose orders to list."),
) -> None:
    """A customer's orders, oldest first."""
    out = ctx.obj.output
    use_stack(ctx.obj.aws)
    items = sorted(
        (_public(i, ORDER_FIELDS) for i in read_models().every_order_of(customer)),
        key=lambda i: str(i.get("placed_at")),
    )
    listing = table(
        f"orders of {customer}",
        ["order", "seats", "amount", "status", "placed at"],
        [
            [
                i["order_id"],
                " ".join(i["seats"]),
                _money(i["amount_cents"]),
                i["status"],
                when(i["placed_at"]) if i.get("placed_at") else "",
            ]
            for i in items
        ],
    )
    listing.columns[0].overflow = "fold"  # whole ids, even when narrow: `query order` takes them
    if not items:  # none is an answer, not an error
        errors.print(f"no orders for customer {customer!r} {LAG}", soft_wrap=True)
    out.emit(items, listing)


@query.command("payments", epilog=OPERATOR_NOTE)
def payments(ctx: typer.Context, order_id: str = typer.Argument(..., help="The order.")) -> None:
    """An order's payment: each attempt and the gateway's answer."""
    out = ctx.obj.output
    ident = parse_id(order_id, "order")
    use_stack(ctx.obj.aws)
    item = read_models().payment(ident)
    if item is None:
        fail(
            Exit.NOT_FOUND,
            f"no payment for order {ident}: no such order, or it was never "
            "charged (an order is charged once it holds all its seats), or the read models "
            "have not caught up yet",
        )
    item = _public(item, PAYMENT_FIELDS)
    title = (
        f"payment {item['payment_id']} of order {ident}: {item['status']}, "
        f"{_money(item['amount_cents'])} ({_money(item['captured_cents'])} captured)"
    )
    out.emit(
        item,
        table(
            title,
            ["attempt", "at", "result", "answered at", "reason"],
            [
                [
                    a.get("attempt"),
                    when(a["at"]) if a.get("at") else "",
                    a.get("result"),
                    when(a["answered_at"]) if a.get("answered_at") else "",
                    a.get("reason"),
                ]
                for a in item.get("attempts", [])
            ],
        ),
    )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.add_typer(query, name="query")
