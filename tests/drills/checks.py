"""What every drill ends with: nothing the ledger accepted is lost, nothing is charged twice."""

from __future__ import annotations

from uuid import UUID

from domain.order import OrderStatus
from domain.payment import CaptureResult, payment_id_for
from tests.integration.pipeline_stack import Stack


def assert_nothing_lost(stack: Stack, accepted: list[UUID]) -> None:
    app = stack.app
    statuses = {o: app.get_order(o).status for o in accepted}  # raises if one was lost
    assert all(s.is_final for s in statuses.values()), statuses
    confirmed = {o for o, s in statuses.items() if s is OrderStatus.CONFIRMED}
    captured = [c for c in stack.charges() if c.result is CaptureResult.CAPTURED]
    assert sorted(c.key for c in captured) == sorted(str(payment_id_for(o)) for o in confirmed)
    amounts = {str(payment_id_for(o)): app.get_order(o).amount_cents for o in confirmed}
    assert all(c.amount_cents == amounts[c.key] for c in captured)
    assert stack.views() == stack.rebuilt_views()
