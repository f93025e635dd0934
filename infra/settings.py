"""Names every process reads from its environment: Lambda (set by the CDK stack) and `make up`.

One name, one meaning: the CDK stack sets exactly these variables on the functions.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

APP_NAME = "Ticketing"  # the application, and so the notification log, every consumer follows


@dataclass(frozen=True)
class Settings:
    event_table: str = "seatledger-events"  # DYNAMODB_TABLE (read by infra.dynamodb too)
    seat_map_table: str = "seatledger-seat-map"  # SEAT_MAP_TABLE
    orders_table: str = "seatledger-orders"  # ORDERS_TABLE
    payments_table: str = "seatledger-payments"  # PAYMENTS_TABLE
    charges_table: str = "seatledger-charges"  # CHARGES_TABLE: the simulated gateway's record
    event_bus: str = "seatledger"  # EVENT_BUS_NAME
    dead_letter_queue_url: str = ""  # DEAD_LETTER_QUEUE_URL: where a handler parks poison input
    accept_test_events: bool = False  # ACCEPT_TEST_EVENTS: let reactions act on test events

    @classmethod
    def from_env(cls) -> Settings:
        env, d = os.environ, cls()
        return cls(
            event_table=env.get("DYNAMODB_TABLE") or d.event_table,
            seat_map_table=env.get("SEAT_MAP_TABLE") or d.seat_map_table,
            orders_table=env.get("ORDERS_TABLE") or d.orders_table,
            payments_table=env.get("PAYMENTS_TABLE") or d.payments_table,
            charges_table=env.get("CHARGES_TABLE") or d.charges_table,
            event_bus=env.get("EVENT_BUS_NAME") or d.event_bus,
            dead_letter_queue_url=env.get("DEAD_LETTER_QUEUE_URL", ""),
            accept_test_events=env.get("ACCEPT_TEST_EVENTS", "").lower() in ("1", "true", "yes"),
        )
