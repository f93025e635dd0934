"""Payment deadlines with a charge in flight: an answer that comes back after the deadline
does not stand, whichever of the answer and the deadline is recorded first."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.order import OrderStatus
from domain.payment import CaptureResult, payment_id_for
from domain.runner import Runner
from infra.gateway import Refund, SimulatedGateway
from tests.apps import application

DEADLINE = timedelta(minutes=10)


class SlowFirstAnswer(SimulatedGateway):
    """The first capture is answered only after `delay` (the app's clock moves on meanwhile)."""

    def __init__(self, now: list[datetime], delay: timedelta) -> None:
        super().__init__()
        self.now, self.delay, self.calls = now, delay, 0

    def capture(self, idempotency_key: str, token: str, amount_cents: int) -> CaptureResult:
        result = super().capture(idempotency_key, token, amount_cents)
        self.calls += 1
        if self.calls == 1:
            self.now[0] += self.delay
        return result


def test_a_capture_answered_after_the_deadline_is_refunded_and_the_seat_passes_on() -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    gateway = SlowFirstAnswer(now, DEADLINE + timedelta(minutes=1))
    app = application(
        env={"PERSISTENCE_MODULE": "eventsourcing.popo"}, gateway=gateway, payment_deadline=DEADLINE
    )
    app.clock = lambda: now[0]
    show = app.create_show(uuid4(), "Gig", seats=[{"label": "A-1", "price_cents": 900}])
    # GIVEN Ann's charge is answered a minute after her deadline, and Bob waits for her seat
    ann = app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
    bob = app.place_order(show, "bob", ["A-1"], "k", "tok_visa")
    runner = Runner(app)
    runner.run_until_quiet()  # Ann's capture comes back late; her deadline is due
    runner.run_until_quiet()  # ... and runs: the seat passes to Bob, who pays in time
    # THEN Ann's order fails for the deadline and her money goes back; Bob has the seat
    assert (app.get_order(ann).status, app.get_order(ann).failure_reason) == (
        OrderStatus.PAYMENT_FAILED,
        "deadline",
    )
    assert app.get_order(bob).status is OrderStatus.CONFIRMED
    assert gateway.refunds() == [Refund(str(payment_id_for(ann)), 900)]
    seat = app.find_seat(show, "A-1")
    assert seat is not None and seat.sold_to == bob
