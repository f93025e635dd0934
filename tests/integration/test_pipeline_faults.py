"""The pipeline under the faults AWS allows: duplicates, reordering, failed PutEvents entries,
a worker dying mid-batch, poison input. Afterwards the views must equal a rebuild from the
store, and the gateway must have captured exactly once per confirmed order."""

from __future__ import annotations

import random
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from domain.contract import event_id_for
from domain.order import OrderStatus
from domain.payment import CaptureResult, payment_id_for
from domain.seat import Seat, seat_id
from infra.wiring import catch_up, dynamodb, simulated_gateway, ticketing
from local.dynamodb import DynamoDBLocal
from local.runners.lambda_runtime import Handler
from tests.integration.pipeline_stack import Stack, pipeline_stack

SEATS = [f"A-{n}" for n in range(1, 5)]
TOKENS = ["tok_visa"] * 6 + ["tok_chargeDeclined"] * 3 + ["tok_timeoutOnce"] * 2
STREAM_FUNCTIONS = ("stream-forwarder", "indexer")


class FaultyEvents:
    """EventBridge that fails 10% of entries and delivers the rest 2-3 times, shuffled."""

    def __init__(self, real: Any, rng: random.Random) -> None:
        self.real, self.rng = real, rng
        self.failed = self.extra_copies = 0

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        results, sent = [], []
        for entry in Entries:
            if self.rng.random() < 0.10:
                self.failed += 1
                results.append({"ErrorCode": "InternalFailure", "ErrorMessage": "injected"})
            else:
                copies = self.rng.choice([2, 3])
                self.extra_copies += copies - 1
                sent += [entry] * copies
                results.append({"EventId": str(uuid.uuid4())})
        self.rng.shuffle(sent)
        for i in range(0, len(sent), 10):
            self.real.put_events(Entries=sent[i : i + 10])
        return {"FailedEntryCount": sum("ErrorCode" in r for r in results), "Entries": results}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class Chaos:
    """Wraps each handler: batches shuffled and sometimes run twice; one crash mid-batch each."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.crashed: set[str] = set()
        self.repeats = 0

    def __call__(self, name: str, handler: Handler) -> Handler:
        def wrapped(event: dict[str, Any], context: Any) -> Any:
            records = list(event["Records"])
            if name not in STREAM_FUNCTIONS:  # a shard's order is kept; queues promise none
                self.rng.shuffle(records)
            if name not in self.crashed and len(records) >= 2:
                self.crashed.add(name)
                handler({"Records": records[: len(records) // 2]}, context)
                raise RuntimeError(f"{name} killed halfway through a batch")
            result = handler({"Records": records}, context)
            if name not in STREAM_FUNCTIONS and self.rng.random() < 0.3:
                self.repeats += 1
                handler({"Records": records}, context)
            return result

        return wrapped


FORGED = uuid.uuid4()


def _poison(stack: Stack, order: uuid.UUID) -> None:
    stack.put_bus_event("OrderPlaced", {"application": "Ticketing", "nonsense": True})
    # Well-formed, but not an event the store holds: version 9 of a real order.
    stack.put_bus_event(
        "OrderAllocated",
        {
            "application": "Ticketing",
            "aggregate_id": str(order),
            "aggregate_version": 9,
            "event_id": str(event_id_for(order, 9)),
            "occurred_at": "2026-11-23T00:00:00+00:00",
            "schema_version": 1,
            "payload": {"amount_cents": 1},
        },
    )
    dynamodb().put_item(  # a tip whose events cannot be decoded
        TableName=stack.settings.event_table,
        Item={
            "pk": {"S": f"Ticketing#E#{FORGED}"},
            "sk": {"N": str(2**62)},
            "kind": {"S": "tip"},
            "oid": {"S": f"u:{FORGED}"},
            "v": {"N": "1"},
            "bs": {"L": [{"B": b"\xc1 not msgpack"}]},
        },
    )


@pytest.mark.drill
def test_faults_change_nothing_a_user_can_see(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    rng = random.Random(20261123)
    faulty: list[FaultyEvents] = []
    chaos = Chaos(rng)

    def events(real: Any) -> FaultyEvents:
        faulty.append(FaultyEvents(real, rng))
        return faulty[0]

    with pipeline_stack(dynamodb_local, tmp_path, events=events, wrap=chaos) as stack:
        app = stack.app
        show = app.create_show(
            uuid.uuid4(), "Cup final", seats=[{"label": s, "price_cents": 1000} for s in SEATS]
        )
        orders = []
        for i in range(16):
            labels = rng.sample(SEATS, rng.choice([1, 1, 2]))
            orders.append(app.place_order(show, f"c{i}", labels, "k", rng.choice(TOKENS)))
            if i == 5:
                _poison(stack, orders[0])

        stack.pipeline.run_until_quiet(timeout=300)

        # The faults really happened.
        assert faulty[0].failed > 0 and faulty[0].extra_copies > 0 and chaos.repeats > 0
        assert chaos.crashed == {
            "stream-forwarder",
            "indexer",
            "payment",
            "reallocation",
            "read-models",
        }

        statuses = {o: app.get_order(o).status for o in orders}
        assert all(s.is_final for s in statuses.values()), Counter(statuses.values())
        confirmed = {o for o, s in statuses.items() if s is OrderStatus.CONFIRMED}
        assert confirmed, "the workload should sell something"
        sold = Counter()
        for label in SEATS:
            seat = app.repository.get(seat_id(show, label))
            assert isinstance(seat, Seat)
            if seat.sold_to is not None:
                assert seat.sold_to in confirmed
                sold[seat.sold_to] += 1
        assert all(sold[o] == len(app.get_order(o).seat_labels) for o in confirmed)

        captured = [c for c in stack.charges() if c.result is CaptureResult.CAPTURED]
        assert sorted(c.key for c in captured) == sorted(str(payment_id_for(o)) for o in confirmed)
        amounts = {str(payment_id_for(o)): app.get_order(o).amount_cents for o in confirmed}
        assert all(c.amount_cents == amounts[c.key] for c in captured)

        assert stack.views() == stack.rebuilt_views()
        # The index holds every stored event once, each aggregate's in version order.
        indexed = stack.indexed()
        assert Counter(indexed) == Counter(stack.stored(excluding=frozenset({FORGED})))
        by_aggregate: dict[Any, list[int]] = {}
        for aggregate, version in indexed:
            by_aggregate.setdefault(aggregate, []).append(version)
        assert all(v == sorted(v) for v in by_aggregate.values())

        queues = stack.resources.provisioned.queues
        # Parked with the reason; a redelivered poison message may be parked again.
        reasons = {
            name: {reason.split(":")[0] for _, reason in stack.dead_letters(queues[name].dlq_url)}
            for name in ("read-models", "payment", "reallocation")
        }
        schema, absent = "detail does not match its schema", "OrderAllocated"
        assert reasons["read-models"] == {schema, f"{absent} {orders[0]} v9 is not in the store"}
        for reaction in ("payment", "reallocation"):  # both act on OrderAllocated
            assert reasons[reaction] == {f"{absent} {orders[0]} v9 is not in the store"}
        for dlq in (stack.resources.forwarder_dlq_url, stack.resources.indexer_dlq_url):
            parked = stack.dead_letters(dlq)
            assert parked and all(str(FORGED) in body for body, _ in parked)
            assert all("undecodable stream record" in reason for _, reason in parked)


class OutageEvents:
    """EventBridge failing every entry while `down` is set."""

    def __init__(self, real: Any) -> None:
        self.real, self.down = real, True

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:  # noqa: N803
        if self.down:
            failure = {"ErrorCode": "ThrottlingException", "ErrorMessage": "injected outage"}
            return {"FailedEntryCount": len(Entries), "Entries": [failure] * len(Entries)}
        return dict(self.real.put_events(Entries=Entries))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.mark.drill
def test_a_bus_outage_longer_than_the_forwarders_retries_loses_nothing(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    bus: list[OutageEvents] = []

    def events(real: Any) -> OutageEvents:
        bus.append(OutageEvents(real))
        return bus[0]

    with pipeline_stack(dynamodb_local, tmp_path, events=events) as s:
        show = s.app.create_show(uuid.uuid4(), "Gig", seats=[{"label": "B-1", "price_cents": 700}])
        order = s.app.place_order(show, "carol", ["B-1"], "k", "tok_visa")
        # GIVEN an outage so long that the forwarder gives up on the order's events
        deadline = time.monotonic() + 120
        while not s.dead_letters(s.resources.forwarder_dlq_url):  # the batch it gave up on
            assert time.monotonic() < deadline, "the forwarder never gave up"
            s.pipeline.stream.poll_once()
        s.pipeline.run_until_quiet(timeout=120)
        assert s.app.get_order(order).status is OrderStatus.ALLOCATED
        # WHEN the bus is back and the scheduled catch-up runs
        bus[0].down = False
        done = catch_up(s.settings, ticketing(s.settings, simulated_gateway(s.settings)))
        assert not [e for e in done.values() if isinstance(e, Exception)]
        s.pipeline.run_until_quiet(timeout=120)
        # THEN the order was charged and confirmed, and the views show it
        assert s.app.get_order(order).status is OrderStatus.CONFIRMED
        assert [o["status"] for o in s.views()["orders"] if "status" in o] == ["CONFIRMED"]
        assert s.views() == s.rebuilt_views()
