"""Property: whatever the interleaving of orders, payment outcomes, deadlines passing,
cancellations and reaction deliveries (late, twice, out of order), once quiet no seat is sold
twice, every order is final, and each order's card was charged its amount, net of refunds, if
it ends CONFIRMED and nothing otherwise."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.application import Ticketing
from domain.commands import Command
from domain.errors import TransientError
from domain.events import OrderAllocated, SeatSold
from domain.order import Order, OrderStatus
from domain.payment import GatewayTimeout, payment_id_for
from domain.runner import Runner
from infra.gateway import SimulatedGateway
from tests.apps import application

PRICES = {"A-1": 1000, "A-2": 2000, "A-3": 3000, "B-1": 5000, "B-2": 7000}
TOKENS = ["tok_visa", "tok_chargeDeclined", "tok_timeoutOnce", "tok_noAnswer"]
DEADLINE = timedelta(minutes=10)
REQUESTS = st.lists(
    st.tuples(
        st.lists(st.sampled_from(sorted(PRICES)), min_size=1, max_size=4, unique=True),
        st.sampled_from(TOKENS),
    ),
    min_size=1,
    max_size=7,
)
ACTIONS = st.sampled_from(
    ["place", "place_again", "deliver", "deliver_twice", "execute_again", "time_passes", "cancel"]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(requests=REQUESTS, data=st.data())
def test_ticketing_invariants_hold_for_any_interleaving(
    requests: list[tuple[list[str], str]], data: st.DataObject
) -> None:
    # GIVEN a show of five seats
    gateway = SimulatedGateway()
    app = application(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, gateway=gateway, payment_deadline=DEADLINE
    )
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    app.clock = lambda: now[0]
    runner = Runner(app)
    show = app.create_show(
        uuid4(), "Gig", seats=[{"label": k, "price_cents": v} for k, v in PRICES.items()]
    )
    to_place = list(enumerate(requests))
    placed: list[UUID] = []
    done: list[tuple[int, list[str], str]] = []
    executed: list[Command] = []

    def deliver(index: int, keep: bool) -> None:
        command, failures = runner.pending[index]
        try:
            app.execute(command)
        except TransientError:
            return  # stays pending: redelivered later
        executed.append(command)
        if not keep:
            del runner.pending[index]

    # WHEN orders are placed while reactions arrive in any order, late, or more than once
    for _ in range(60):
        runner.pull()
        if not to_place and not runner.pending:
            break
        action = data.draw(ACTIONS)
        if action == "place" and to_place:
            i, (seats, token) = to_place.pop(0)
            placed.append(app.place_order(show, f"c{i}", seats, "k", token))
            done.append((i, seats, token))
        elif action == "place_again" and done:  # a client retrying: same key, same order
            j = data.draw(st.integers(0, len(done) - 1))
            i, seats, token = done[j]
            assert app.place_order(show, f"c{i}", seats, "k", token) == placed[j]
        elif action.startswith("deliver") and runner.pending:
            index = data.draw(st.integers(0, len(runner.pending) - 1))
            deliver(index, keep=action == "deliver_twice")
        elif action == "execute_again" and executed:
            with contextlib.suppress(TransientError):  # a lost answer: redelivered later
                app.execute(data.draw(st.sampled_from(executed)))
        elif action == "time_passes":
            now[0] += data.draw(st.sampled_from([DEADLINE / 2, DEADLINE]))
        elif action == "cancel" and placed:
            order = app.get_order(data.draw(st.sampled_from(placed)))
            if order.status == OrderStatus.CONFIRMED:
                app.cancel_order(order.id)
    for i, (seats, token) in to_place:
        placed.append(app.place_order(show, f"c{i}", seats, "k", token))
    settle(runner, now)

    # THEN, once quiet
    check_invariants(app, gateway, show, placed)
    # ... and running every command again writes nothing
    written = app.recorder.max_notification_id()
    for command in executed:
        app.execute(command)
    assert app.recorder.max_notification_id() == written


def settle(runner: Runner, now: list[datetime]) -> None:
    """Run until quiet, letting deadlines pass: an unanswered charge fails at its deadline (a
    charge given up on after its retries is a dead letter; the deadline settles its order)."""
    for _ in range(30):
        try:
            runner.run_until_quiet()
        except GatewayTimeout:
            continue
        if not runner.deferred:
            return
        now[0] += DEADLINE
    raise AssertionError(f"still deferred: {runner.deferred}")


def check_invariants(
    app: Ticketing, gateway: SimulatedGateway, show: UUID, placed: list[UUID]
) -> None:
    orders = {o: app.get_order(o) for o in placed}
    # every order is final
    assert all(order.status.is_final for order in orders.values()), orders
    # each order's card: its amount captured, net of refunds, if CONFIRMED; else nothing
    by_key = {str(payment_id_for(o)): order for o, order in orders.items()}
    charges, refunds = gateway.charges(), gateway.refunds()
    assert all(c.key in by_key for c in charges) and all(r.key in by_key for r in refunds)
    net = dict.fromkeys(orders, 0)
    for charge in charges:
        if charge.result == "captured":
            net[by_key[charge.key].id] += charge.amount_cents
    for refund in refunds:
        net[by_key[refund.key].id] -= refund.amount_cents
    for o, order in orders.items():
        assert net[o] == (order.amount_cents if order.status == OrderStatus.CONFIRMED else 0)
    # a decline fails its order
    declined = {by_key[c.key].id for c in charges if c.result == "declined"}
    assert all(orders[o].status == OrderStatus.PAYMENT_FAILED for o in declined)
    for charge in charges:
        order = by_key[charge.key]
        assert charge.amount_cents == sum(PRICES[label] for label in order.seat_labels)
        # no order charged unless it held all its seats
        assert held_all_seats(app, order)
    for label in PRICES:
        seat = app.find_seat(show, label)
        wanting = [o for o, x in orders.items() if label in x.seat_labels]
        buyers = [o for o in wanting if orders[o].status == OrderStatus.CONFIRMED]
        # no seat sold to more than one order
        assert len(buyers) <= 1
        if seat is None:
            assert not wanting or all(orders[o].status == OrderStatus.REJECTED for o in wanting)
            continue
        assert seat.sold_to == (buyers[0] if buyers else None)
        if seat.sold_to is not None:
            # first received wins: everyone queued before the buyer failed or was rejected
            ahead = seat.queue[: seat.queue.index(seat.sold_to)]
            assert all(
                orders[o].status
                in (OrderStatus.PAYMENT_FAILED, OrderStatus.REJECTED, OrderStatus.CANCELLED)
                for o in ahead
            )
    # a rejection always names a seat sold to another order
    for order in orders.values():
        if order.status == OrderStatus.REJECTED:
            seat = app.find_seat(show, order.rejected_for)
            assert seat is not None  # (sold then, maybe returned since by a cancellation)
            sales = [e for e in app.events.get(seat.id) if isinstance(e, SeatSold)]
            assert any(sale.order_id != order.id for sale in sales)


def held_all_seats(app: Ticketing, order: Order) -> bool:
    events = app.events.get(order.id)
    return any(isinstance(e, OrderAllocated) for e in events)
