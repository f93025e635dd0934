"""Names every process reads from its environment: Lambda (set by the CDK stack) and `make up`.

One name, one meaning: the CDK stack sets exactly these variables on the functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

APP_NAME = "Ticketing"  # the application whose events every consumer follows


@dataclass(frozen=True)
class Settings:
    event_table: str = "seatledger-events"  # DYNAMODB_TABLE (read by infra.dynamodb too)
    index_table: str = "seatledger-events-index"  # DYNAMODB_INDEX_TABLE: the ordered index
    index_partitions: int = 1  # DYNAMODB_INDEX_PARTITIONS: each with its own dense ids
    seat_map_table: str = "seatledger-seat-map"  # SEAT_MAP_TABLE
    orders_table: str = "seatledger-orders"  # ORDERS_TABLE
    payments_table: str = "seatledger-payments"  # PAYMENTS_TABLE
    # The second table of each view: a replay rebuilds into whichever is not live, then swaps.
    seat_map_table_b: str = "seatledger-seat-map-b"  # SEAT_MAP_TABLE_B
    orders_table_b: str = "seatledger-orders-b"  # ORDERS_TABLE_B
    payments_table_b: str = "seatledger-payments-b"  # PAYMENTS_TABLE_B
    charges_table: str = "seatledger-charges"  # CHARGES_TABLE: the simulated gateway's record
    event_bus: str = "seatledger"  # EVENT_BUS_NAME
    dead_letter_queue_url: str = ""  # DEAD_LETTER_QUEUE_URL: where a handler parks poison input
    gateway_latency_ms: int = 0  # SEATLEDGER_GATEWAY_LATENCY_MS: the simulated card network's
    payment_deadline_seconds: int = (
        600  # PAYMENT_DEADLINE_SECONDS: an allocated order's time to pay
    )
    # Deadlines: a command that came early is sent again at its time by an EventBridge Scheduler
    # one-time schedule, to this queue (the reallocation rule's), as this role.
    deadline_queue_arn: str = ""  # DEADLINE_QUEUE_ARN
    scheduler_role_arn: str = ""  # SCHEDULER_ROLE_ARN
    scheduler_group: str = "default"  # SCHEDULER_GROUP
    accept_test_events: bool = False  # ACCEPT_TEST_EVENTS: let reactions act on test events

    @classmethod
    def from_env(cls) -> Settings:
        env, defaults = os.environ, cls()
        values: dict[str, object] = {}
        for field, name in ENV_VARS.items():
            default = getattr(defaults, field)
            values[field] = type(default)(env.get(name) or default)
        flag = env.get(ACCEPT_TEST_EVENTS, "").lower()
        return cls(**values, accept_test_events=flag in ("1", "true", "yes"))  # type: ignore[arg-type]


# Settings field -> environment variable: what `from_env` reads and the CDK stack sets.
ENV_VARS: dict[str, str] = {
    "event_table": "DYNAMODB_TABLE",
    "index_table": "DYNAMODB_INDEX_TABLE",
    "index_partitions": "DYNAMODB_INDEX_PARTITIONS",
    "seat_map_table": "SEAT_MAP_TABLE",
    "orders_table": "ORDERS_TABLE",
    "payments_table": "PAYMENTS_TABLE",
    "seat_map_table_b": "SEAT_MAP_TABLE_B",
    "orders_table_b": "ORDERS_TABLE_B",
    "payments_table_b": "PAYMENTS_TABLE_B",
    "charges_table": "CHARGES_TABLE",
    "event_bus": "EVENT_BUS_NAME",
    "dead_letter_queue_url": "DEAD_LETTER_QUEUE_URL",
    "gateway_latency_ms": "SEATLEDGER_GATEWAY_LATENCY_MS",
    "payment_deadline_seconds": "PAYMENT_DEADLINE_SECONDS",
    "deadline_queue_arn": "DEADLINE_QUEUE_ARN",
    "scheduler_role_arn": "SCHEDULER_ROLE_ARN",
    "scheduler_group": "SCHEDULER_GROUP",
}
ACCEPT_TEST_EVENTS = "ACCEPT_TEST_EVENTS"  # never set by the stack: test events stay inert
