"""`seatledger demo`: the double-booking story, told through the running stack's HTTP API.

Alice and Bob both want seat north-A-1. Alice asks first but her card declines, so the seat passes
to Bob, whose card is charged, once. Everything goes through the public API, as a client would:
an organizer's token creates the show, each buyer orders and reads with their own token.

Long: the demo's story, step by step, reads top to bottom.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from typing import Any

import typer

from cli.common import TOKEN_VAR, Exit, console, errors, fail, table, use_stack, waiting
from cli.token import bearer

SEAT = "north-A-1"
FINAL = {"CONFIRMED", "PAYMENT_FAILED", "REJECTED"}
SETTLED = {"CAPTURED", "DECLINED"}
MEANING = {
    "ALLOCATED": "holds the seat, so the payment starts",
    "PENDING": "waits in the seat's queue",
}
BUYERS = (
    ("alice", "tok_chargeDeclined", "her card will be declined"),
    ("bob", "tok_visa", "his card is good"),
)
ORGANIZER = "demo-organizer"


class Api:
    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/")

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        key: str | None = None,
        token: str | None = None,
    ) -> Any:
        request = urllib.request.Request(
            self.url + path, method=method, data=None if body is None else json.dumps(body).encode()
        )
        request.add_header("Content-Type", "application/json")
        if key:
            request.add_header("Idempotency-Key", key)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return json.loads(answer.read() or b"null")
        except urllib.error.HTTPError as e:
            reason = e.read().decode(errors="replace")[:300]
            hint = f" (is {TOKEN_VAR} a valid organizer's token?)" if e.code in (401, 403) else ""
            fail(Exit.FAILED, f"{method} {path} answered {e.code}: {reason}{hint}")
        except (TimeoutError, urllib.error.URLError, ConnectionError) as e:
            fail(Exit.UNREACHABLE, f"cannot reach the ledger's API at {self.url}: {e}")

    def wait(
        self,
        path: str,
        done: Callable[[Any], bool],
        deadline: float,
        what: str,
        token: str | None = None,
    ) -> Any:
        """GET `path` until `done(body)`, or fail at the deadline saying what was awaited."""
        while True:
            body = self.call("GET", path, token=token)
            if done(body):
                return body
            if time.monotonic() > deadline:
                fail(
                    Exit.FAILED,
                    f"timed out waiting for {what} (last answer: "
                    f"{json.dumps(body)[:300]}); is the stack's pipeline running?",
                )
            time.sleep(0.25)


def settled(order: dict[str, Any]) -> bool:
    """Final, and its payment (if it was charged) is in the payments view too."""
    if order["status"] not in FINAL:
        return False
    return order["status"] == "REJECTED" or any(p["status"] in SETTLED for p in order["payments"])


def demo(
    ctx: typer.Context,
    timeout: float = typer.Option(
        60.0, "--timeout", min=1, help="Seconds to wait for the orders to settle."
    ),
    api_url: str | None = typer.Option(
        None,
        "--api-url",
        envvar="SEATLEDGER_API_URL",
        help="The ledger's API (default: the local stack's; needed with --aws).",
    ),
) -> None:
    """Two buyers, one seat: the first card declines, the second buyer gets the seat.

    On the local stack it mints a token for an organizer and for each buyer. With $SEATLEDGER_TOKEN
    set (needed with --aws: an organizer's ID token) every call sends that one token, so both
    orders are that user's.
    """
    out = ctx.obj.output
    stack = use_stack(ctx.obj.aws)
    url = api_url or stack.get("api_url")
    if not url:
        fail(
            Exit.USAGE,
            "with --aws, give the API's address: --api-url https://... "
            "(the deployed stack's API URL)",
        )
    api = Api(url)
    # Fresh customers each run: a customer's orders (and idempotency keys) outlive the run.
    run = uuid.uuid4().hex[:8]
    customer_ids = {b[0]: f"{b[0]}-{run}" for b in BUYERS}
    tokens = {ORGANIZER: bearer(ctx.obj.aws, ORGANIZER, organizer=True)}
    tokens |= {who: bearer(ctx.obj.aws, ident) for who, ident in customer_ids.items()}

    def say(text: str) -> None:
        if not out.as_json:
            console.print(text, highlight=False)

    show_id = str(uuid.uuid4())  # a fresh show each run: the story starts from free seats
    if len(set(tokens.values())) == 1:
        say(f"(every call sends the token in {TOKEN_VAR}: both orders are its user's)")
    say(
        f"[bold]1.[/] An organizer creates show [cyan]{show_id}[/]: 'Cup final (demo)', rows A "
        "and B, 5 seats each, 50.00 a seat"
    )
    api.call(
        "POST",
        "/shows",
        {
            "show_id": show_id,
            "name": "Cup final (demo)",
            "sections": [
                {"name": "north", "rows": ["A", "B"], "seats_per_row": 5, "price_cents": 5000}
            ],
        },
        token=tokens[ORGANIZER],
    )
    placed: dict[str, str] = {}
    for step, (customer, token, note) in enumerate(BUYERS, start=2):
        answer = api.call(
            "POST",
            f"/shows/{show_id}/orders",
            {
                "seats": [SEAT],
                "payment_token": token,
            },
            key=f"demo-{run}-{customer}",  # also fresh when one token places both
            token=tokens[customer],
        )
        placed[customer] = answer["order_id"]
        say(
            f"[bold]{step}.[/] {customer.title()} ({customer_ids[customer]}) orders {SEAT} "
            f"paying with {token} ({note}): "
            f"order [cyan]{answer['order_id']}[/] is [bold]{answer['status']}[/]"
            f" ({MEANING.get(answer['status'], 'settled at once')})"
        )
    say(
        "[bold]4.[/] Waiting for the pipeline: Alice's payment, the seat passing on, Bob's "
        "payment, the read models..."
    )
    deadline = time.monotonic() + timeout
    orders = {}
    spinner = errors.status("waiting for both orders to be final")
    with contextlib.nullcontext() if out.as_json or not waiting() else spinner:
        for customer, order_id in placed.items():
            orders[customer] = api.wait(
                f"/orders/{order_id}",
                settled,
                deadline,
                f"{customer}'s order {order_id} to be final",
                token=tokens[customer],
            )
            say(f"   {customer.title()}'s order is [bold]{orders[customer]['status']}[/]")
        seat_map = api.wait(
            f"/shows/{show_id}/seats",
            lambda m: any(s["label"] == SEAT and s["status"] == "SOLD" for s in m["seats"]),
            deadline,
            f"seat {SEAT} to show as SOLD in the seat map",
        )
    payments = {p["payment_id"]: c for c, o in orders.items() for p in o["payments"]}
    charges: list[dict[str, Any]] | None = None
    if not ctx.obj.aws:  # the simulated gateway's record: a local-only route
        charges = [
            {
                "payment_id": c["key"],
                "customer": payments[c["key"]],
                "amount_cents": c["amount_cents"],
                "result": c["result"],
            }
            for c in api.call("GET", "/dev/gateway/charges", token=tokens[ORGANIZER])
            if c["key"] in payments
        ]
    summary = {
        "show_id": show_id,
        "seat": SEAT,
        "orders": [{"customer": c, "payment_token": t, **orders[c]} for c, t, _ in BUYERS],
        "seat_map": seat_map["seats"],
        "charges": charges,
    }
    if charges is None:
        summary["charges_note"] = "the simulated gateway's record exists on the local stack only"
    if out.as_json:
        out.emit(summary)
        return
    show_results(summary)


def show_results(summary: dict[str, Any]) -> None:
    seats = summary["seat_map"]
    taken = [s for s in seats if s["status"] != "FREE"]
    seat_table = table(
        "5. The seat map",
        ["seat", "status", "order", "waiting"],
        [[s["label"], s["status"], s["order_id"], s["queue_length"] or ""] for s in taken],
    )
    seat_table.caption = f"{len(seats) - len(taken)} other seats FREE"
    console.print(seat_table)
    order_table = table(
        "6. The orders",
        ["customer", "order", "status", "payment"],
        [
            [
                o["customer"],
                o["order_id"],
                o["status"],
                ", ".join(p["status"] for p in o["payments"]) or "none",
            ]
            for o in summary["orders"]
        ],
    )
    order_table.columns[1].overflow = "fold"  # whole ids, even in a narrow terminal
    console.print(order_table)
    charges = summary["charges"]
    if charges is None:
        console.print(
            f"7. Charges: skipped ({summary['charges_note']}; see your payment "
            "provider's dashboard)"
        )
        return
    console.print(
        table(
            "7. The gateway's charges",
            ["payment", "customer", "amount", "result"],
            [
                [c["payment_id"], c["customer"], f"{c['amount_cents'] / 100:.2f}", c["result"]]
                for c in charges
            ],
        )
    )
    captured = [c for c in charges if c["result"] == "captured"]
    who = ", ".join(c["customer"].title() for c in captured) or "nobody"
    console.print(
        f"[bold green]Seat {summary['seat']} was sold once, to "
        f"{seats_owner(summary)}; {len(captured)} captured charge ({who}).[/]"
    )


def seats_owner(summary: dict[str, Any]) -> str:
    seat = next(s for s in summary["seat_map"] if s["label"] == summary["seat"])
    owners = [o["customer"].title() for o in summary["orders"] if o["order_id"] == seat["order_id"]]
    return owners[0] if owners else str(seat["order_id"])


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("demo")(demo)
