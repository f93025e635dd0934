"""Scenarios of payments and reactions, for every event store."""

from __future__ import annotations

from uuid import UUID

import pytest

from domain.application import Ticketing
from domain.commands import Command, ConfirmOrder, FailOrder, RejectOrder, StartPayment
from domain.order import OrderStatus
from domain.payment import GatewayTimeout, payment_id_for
from domain.policies import react
from domain.runner import Runner
from infra.gateway import SimulatedGateway
from tests.unit.domain.scenario_fixtures import ScenarioFixtures


class ReactionScenarios(ScenarioFixtures):
    def test_reactions_confirm_a_paid_order_and_sell_its_seats(
        self, app: Ticketing, show: UUID, runner: Runner, gateway: SimulatedGateway
    ) -> None:
        # GIVEN an allocated order WHEN reactions run THEN it is paid once, confirmed, seats sold
        order_id = app.place_order(show, "ann", ["A-1", "B-2"], "k", "tok_visa")
        runner.run_until_quiet()
        assert self.status(app, order_id) == OrderStatus.CONFIRMED
        for label in ("A-1", "B-2"):
            seat = app.find_seat(show, label)
            assert seat is not None and seat.sold_to == order_id
        [charge] = gateway.charges()
        assert (charge.key, charge.amount_cents) == (str(payment_id_for(order_id)), 6500)

    def test_reactions_hand_a_declined_orders_seats_to_the_next(
        self, app: Ticketing, show: UUID, runner: Runner, gateway: SimulatedGateway
    ) -> None:
        # GIVEN a declined card ahead of a good one WHEN reactions run THEN the next order buys
        declined = app.place_order(show, "ann", ["A-1", "A-2"], "k", "tok_chargeDeclined")
        waiting = app.place_order(show, "bob", ["A-2"], "k", "tok_visa")
        runner.run_until_quiet()
        assert self.status(app, declined) == OrderStatus.PAYMENT_FAILED
        assert self.status(app, waiting) == OrderStatus.CONFIRMED
        a1, a2 = app.find_seat(show, "A-1"), app.find_seat(show, "A-2")
        assert a1 is not None and a1.holder is None and a1.sold_to is None  # free again
        assert a2 is not None and a2.sold_to == waiting
        assert [(c.result, c.amount_cents) for c in gateway.charges()] == [
            ("declined", 8000),
            ("captured", 4000),
        ]

    def test_reactions_reject_orders_waiting_for_a_sold_seat(
        self, app: Ticketing, show: UUID, runner: Runner
    ) -> None:
        # GIVEN orders queued behind the buyer, one holding another seat
        buyer = app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
        loser = app.place_order(show, "bob", ["A-1", "B-1"], "k", "tok_visa")
        behind = app.place_order(show, "cat", ["B-1"], "k", "tok_visa")
        # WHEN reactions run THEN losers are rejected and the seat they held passes on
        runner.run_until_quiet()
        assert self.status(app, buyer) == OrderStatus.CONFIRMED
        assert self.status(app, loser) == OrderStatus.REJECTED
        assert app.get_order(loser).rejected_for == "A-1"
        assert self.status(app, behind) == OrderStatus.CONFIRMED

    def test_place_order_for_a_sold_seat_is_rejected_at_once(
        self, app: Ticketing, show: UUID, runner: Runner
    ) -> None:
        app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
        runner.run_until_quiet()
        late = app.place_order(show, "bob", ["A-2", "A-1"], "k", "tok_visa")
        assert self.status(app, late) == OrderStatus.REJECTED
        assert app.find_seat(show, "A-2") is None  # it queued nowhere

    def test_reactions_retry_a_gateway_timeout_and_charge_once(
        self, app: Ticketing, show: UUID, runner: Runner, gateway: SimulatedGateway
    ) -> None:
        # GIVEN a card whose first answer is lost WHEN reactions run THEN one charge, confirmed
        order_id = app.place_order(show, "ann", ["A-1"], "k", "tok_timeoutOnce")
        runner.run_until_quiet()
        assert self.status(app, order_id) == OrderStatus.CONFIRMED
        assert len(gateway.charges()) == 1
        payment = app.find_payment(order_id)
        assert payment is not None and payment.attempts == 2

    def test_execute_start_payment_redelivered_never_charges_twice(
        self, app: Ticketing, show: UUID, gateway: SimulatedGateway
    ) -> None:
        order_id = app.place_order(show, "ann", ["A-1"], "k", "tok_timeoutOnce")
        with pytest.raises(GatewayTimeout):
            app.execute(StartPayment(order_id=order_id))
        for _ in range(3):
            app.execute(StartPayment(order_id=order_id))
        assert [c.result for c in gateway.charges()] == ["captured"]

    def test_execute_moot_commands_changes_nothing(
        self, app: Ticketing, show: UUID, runner: Runner, gateway: SimulatedGateway
    ) -> None:
        # GIVEN a paid order, a declined one, and one still waiting for a held seat
        paid = app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
        failed = app.place_order(show, "bob", ["B-1"], "k", "tok_chargeDeclined")
        runner.run_until_quiet()
        holder = app.place_order(show, "cat", ["A-2"], "k", "tok_visa")
        waiting = app.place_order(show, "dan", ["A-2", "A-3"], "k", "tok_visa")
        paid_by, failed_by = payment_id_for(paid), payment_id_for(failed)
        written, charges = app.recorder.max_notification_id(), gateway.charges()
        # WHEN commands arrive that the state does not justify THEN nothing happens
        moot: list[Command] = [
            StartPayment(order_id=waiting),  # it does not hold all its seats: never charged
            RejectOrder(order_id=waiting),  # nothing it wants is sold
            RejectOrder(order_id=holder),
            ConfirmOrder(order_id=failed, payment_id=failed_by),  # payment was declined
            FailOrder(order_id=paid, payment_id=paid_by),  # payment was captured
            ConfirmOrder(order_id=holder, payment_id=paid_by),  # another order's payment
        ]
        for command in moot:
            app.execute(command)
        assert app.recorder.max_notification_id() == written
        assert gateway.charges() == charges
        assert self.status(app, waiting) == OrderStatus.PENDING

    @pytest.mark.parametrize(
        ("token", "wrong", "right", "final"),
        [
            ("tok_visa", FailOrder, ConfirmOrder, OrderStatus.CONFIRMED),
            ("tok_chargeDeclined", ConfirmOrder, FailOrder, OrderStatus.PAYMENT_FAILED),
        ],
    )
    def test_execute_outcome_command_contradicting_the_payment_changes_nothing(
        self,
        app: Ticketing,
        show: UUID,
        token: str,
        wrong: type[ConfirmOrder | FailOrder],
        right: type[ConfirmOrder | FailOrder],
        final: OrderStatus,
    ) -> None:
        # GIVEN an allocated order whose payment has settled, before its reaction ran
        order_id = app.place_order(show, "ann", ["A-1"], "k", token)
        app.execute(StartPayment(order_id=order_id))
        payment_id = payment_id_for(order_id)
        written = app.recorder.max_notification_id()
        # WHEN a command contradicting the payment's result arrives (forged, or a test event)
        app.execute(wrong(order_id=order_id, payment_id=payment_id))
        # THEN nothing changes, and the command that matches still settles the order
        assert app.recorder.max_notification_id() == written
        assert self.status(app, order_id) == OrderStatus.ALLOCATED
        app.execute(right(order_id=order_id, payment_id=payment_id))
        assert self.status(app, order_id) == final

    @pytest.mark.parametrize(
        ("tokens", "winner"),
        [
            (("tok_visa", "tok_visa", "tok_visa"), 0),
            (("tok_chargeDeclined", "tok_timeoutOnce", "tok_visa"), 1),
            (("tok_chargeDeclined", "tok_chargeDeclined", "tok_visa"), 2),
        ],
    )
    def test_reactions_crossed_multi_seat_orders_never_deadlock(
        self, app: Ticketing, show: UUID, runner: Runner, tokens: tuple[str, ...], winner: int
    ) -> None:
        # GIVEN O1 wants {a,b}, O2 wants {b,a}, O3 wants {a}
        wants = (["A-1", "A-2"], ["A-2", "A-1"], ["A-1"])
        orders = [
            app.place_order(show, f"c{i}", seats, "k", token)
            for i, (seats, token) in enumerate(zip(wants, tokens, strict=True))
        ]
        # WHEN reactions run THEN every order ends final, and the first good card wins
        runner.run_until_quiet()
        statuses = [self.status(app, o) for o in orders]
        assert all(s.is_final for s in statuses), statuses
        assert statuses[winner] == OrderStatus.CONFIRMED
        assert statuses.count(OrderStatus.CONFIRMED) == 1

    def test_execute_every_command_again_changes_nothing(
        self, app: Ticketing, show: UUID, runner: Runner
    ) -> None:
        # GIVEN a settled mix of outcomes, and every command the reactions produced
        app.place_order(show, "ann", ["A-1", "A-2"], "k", "tok_chargeDeclined")
        app.place_order(show, "bob", ["A-2", "B-1"], "k", "tok_timeoutOnce")
        app.place_order(show, "cat", ["B-1"], "k", "tok_visa")
        runner.run_until_quiet()
        commands: list[Command] = []
        for notification in app.recorder.select_notifications(start=1, limit=1000):
            commands.extend(react(app.mapper.to_domain_event(notification)))  # type: ignore[arg-type]
        assert any(isinstance(c, RejectOrder) for c in commands)
        written = app.recorder.max_notification_id()
        # WHEN each runs again, in reverse THEN nothing is written
        for command in reversed(commands):
            app.execute(command)
        assert app.recorder.max_notification_id() == written
