"""Reads of the read-model tables (eventually consistent with the store: the views lag a little)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.layout import prices_of
from domain.payment import payment_id_for
from domain.show import Show
from infra.dynamodb.reads import paged_items
from infra.readmodels.codec import from_ddb
from infra.settings import Settings
from infra.tables import ORDERS, SEAT_MAP

# The fields of an order every reader shows first (the API's OrderOut, `seatledger query`).
ORDER_FIELDS = ("order_id", "show_id", "customer_id", "seats", "amount_cents", "status")


@dataclass
class ReadModels:
    client: Any
    settings: Settings

    def order(self, order_id: UUID) -> dict[str, Any] | None:
        return self._get(self.settings.orders_table, f"order#{order_id}")

    def payment(self, order_id: UUID) -> dict[str, Any] | None:
        return self._get(self.settings.payments_table, f"payment#{payment_id_for(order_id)}")

    def orders_of(self, customer_id: str) -> list[dict[str, Any]]:
        assert ORDERS.index is not None
        return self._query(
            self.settings.orders_table, ORDERS.index.name, ORDERS.index.hash_key, customer_id
        )

    def seat_map(self, show: Show) -> list[dict[str, Any]]:
        """Every seat of the show in layout order. Only seats somebody asked for have an item;
        the layout (from the store) supplies the others, which are FREE."""
        assert SEAT_MAP.index is not None
        items = self._query(
            self.settings.seat_map_table,
            SEAT_MAP.index.name,
            SEAT_MAP.index.hash_key,
            str(show.id),
        )
        taken = {item["label"]: item for item in items}
        return [
            {
                "label": label,
                "price_cents": price,
                "status": taken.get(label, {}).get("status", "FREE"),
                "order_id": taken.get(label, {}).get("order_id"),
                "queue_length": taken.get(label, {}).get("queue_length", 0),
            }
            for label, price in prices_of(show.price_bands).items()
        ]

    def _get(self, table: str, pk: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=table, Key={"pk": {"S": pk}}).get("Item")
        return from_ddb(item) if item else None

    def _query(self, table: str, index: str, key: str, value: str) -> list[dict[str, Any]]:
        items = paged_items(
            self.client.query,
            TableName=table,
            IndexName=index,
            KeyConditionExpression="#k = :v",
            ExpressionAttributeNames={"#k": key},
            ExpressionAttributeValues={":v": {"S": value}},
        )
        return [from_ddb(i) for i in items]
