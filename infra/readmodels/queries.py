"""Reads of the read-model tables (eventually consistent with the store: the views lag a little)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.payment import payment_id_for
from infra.readmodels.codec import from_ddb
from infra.settings import Settings
from infra.tables import ORDERS, SEAT_MAP


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

    def seats_of(self, show_id: UUID) -> dict[str, dict[str, Any]]:
        """Seat items by label: only seats somebody asked for (the others are FREE)."""
        assert SEAT_MAP.index is not None
        items = self._query(
            self.settings.seat_map_table,
            SEAT_MAP.index.name,
            SEAT_MAP.index.hash_key,
            str(show_id),
        )
        return {item["label"]: item for item in items}

    def _get(self, table: str, pk: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=table, Key={"pk": {"S": pk}}).get("Item")
        return from_ddb(item) if item else None

    def _query(self, table: str, index: str, key: str, value: str) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        kwargs: dict[str, Any] = {
            "TableName": table,
            "IndexName": index,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": key},
            "ExpressionAttributeValues": {":v": {"S": value}},
        }
        while True:
            page = self.client.query(**kwargs)
            items += [from_ddb(i) for i in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return items
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
