"""An order's answer never contradicts itself: when the payments view lags behind the orders
view (CONFIRMED, but no captured payment yet), `GET /orders/{id}` reads the payment from the
store instead. The lag is made by taking the payment's item out of its view."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from infra.api import context, routes
from infra.settings import ENV_VARS
from infra.wiring import dynamodb
from local.dynamodb import DynamoDBLocal
from tests.integration.pipeline_stack import pipeline_stack
from tests.unit.api.test_routes_and_rights import call


def test_a_confirmed_order_shows_its_capture_while_the_payments_view_lags(
    dynamodb_local: DynamoDBLocal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        show = stack.app.create_show(
            uuid.uuid4(), "Gig", seats=[{"label": "A-1", "price_cents": 700}]
        )
        order = stack.app.place_order(show, "ann", ["A-1"], "k", "tok_visa")
        stack.pipeline.run_until_quiet()
        for field, name in ENV_VARS.items():
            monkeypatch.setenv(name, str(getattr(stack.settings, field)))
        context._app.cache_clear()
        resolver = routes.build_resolver()
        try:
            # GIVEN the payments view has not caught up (its item is not there yet)
            [payment] = [p for p in stack.views()["payments"] if p["order_id"] == str(order)]
            dynamodb().delete_item(
                TableName=stack.settings.payments_table, Key={"pk": {"S": payment["pk"]}}
            )
            # WHEN Ann reads her confirmed order THEN it shows the capture all the same
            status, answer = call(resolver, "GET", f"/orders/{order}", {"sub": "ann"})
            assert (status, answer["status"]) == (200, "CONFIRMED")
            assert [(p["status"], p["captured_cents"]) for p in answer["payments"]] == [
                ("CAPTURED", 700)
            ]
        finally:
            context._app.cache_clear()
