"""One in-memory run that produces every kind of domain event: a decline, a lost answer, a
rejection, a cancellation with its refund, and a payment deadline passed then a late capture."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from domain.application import Ticketing
from domain.payment import CaptureResult, PaymentGateway, payment_id_for
from domain.runner import Runner
from tests.apps import application


def run_every_kind_of_event(gateway: PaymentGateway) -> Ticketing:
    app = application(gateway=gateway)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    app.clock = lambda: now
    show = app.create_show(
        uuid4(),
        "Gig",
        sections=[{"name": "Floor", "rows": ["A"], "seats_per_row": 4, "price_cents": 1000}],
        starts_at=now + timedelta(days=1),
    )
    app.place_order(show, "ann", ["Floor-A-1", "Floor-A-2"], "k", "tok_chargeDeclined")
    bob = app.place_order(show, "bob", ["Floor-A-2"], "k", "tok_timeoutOnce")
    app.place_order(show, "cat", ["Floor-A-2", "Floor-A-3"], "k", "tok_visa")
    runner = Runner(app)
    runner.run_until_quiet()
    app.cancel_order(bob)
    late = app.place_order(show, "dan", ["Floor-A-4"], "k", "tok_noAnswer")
    now += app.payment_deadline  # dan's order is overdue: it expires, then a capture shows up
    runner.run_until_quiet()
    app.record_payment_outcome(payment_id_for(late), CaptureResult.CAPTURED)
    runner.run_until_quiet()
    return app
