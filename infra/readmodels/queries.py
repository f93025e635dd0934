"""Reads of the read-model tables (eventually consistent with the store: the views lag a little)."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from domain.events import PriceBand
from domain.layout import places_of
from domain.payment import payment_id_for
from domain.show import Show
from infra.dynamodb.client import call_with_retry
from infra.dynamodb.reads import paged_items
from infra.readmodels.catalog import ViewTables
from infra.readmodels.codec import from_ddb
from infra.retry import Backoff
from infra.tables import BY_CUSTOMER, BY_SHOW, SHOWS_BY_TIME, IndexSpec
from projections.views import LISTING

# The fields of an order every reader shows first (the API's OrderOut, `seatledger query`).
ORDER_FIELDS = ("order_id", "show_id", "customer_id", "seats", "amount_cents", "status")
STATUS_LETTERS = {"FREE": "F", "HELD": "H", "SOLD": "S"}  # the compact seat map's


class InvalidCursor(ValueError):
    """A list's cursor this API did not give out for that list."""


def by_section(bands: list[PriceBand]) -> list[PriceBand]:
    """The bands with each section's together, sections in the order they first appear: the
    order of seats in every seat map."""
    first = {name: i for i, name in reversed(list(enumerate(b.name for b in bands)))}
    return sorted(bands, key=lambda b: first[b.name])


@dataclass
class ReadModels:
    client: Any
    tables: ViewTables

    def order(self, order_id: UUID) -> dict[str, Any] | None:
        return self._get(self.tables.orders, f"order#{order_id}")

    def payment(self, order_id: UUID) -> dict[str, Any] | None:
        return self._get(self.tables.payments, f"payment#{payment_id_for(order_id)}")

    def seat_map(self, show: Show) -> list[dict[str, Any]]:
        """Every seat of the show, section by section. Only seats somebody asked for have an
        item; the layout (from the store) supplies the others, which are FREE."""
        items = self._query(self.tables.seat_map, BY_SHOW.name, BY_SHOW.hash_key, str(show.id))
        taken = {item["label"]: item for item in items}
        return [
            {
                "label": place.label,
                "section": place.section,
                "price_cents": place.price_cents,
                "status": taken.get(place.label, {}).get("status", "FREE"),
                "order_id": taken.get(place.label, {}).get("order_id"),
                "queue_length": taken.get(place.label, {}).get("queue_length", 0),
            }
            for place in places_of(by_section(show.price_bands))
        ]

    def compact_seat_map(self, show: Show) -> dict[str, Any]:
        """The seat map in a few bytes per seat: the layout as sections of rows (seat numbers
        as ranges, one price each), then one status letter per seat in the same order (F free,
        H held, S sold), and the number of orders waiting for held seats, by position."""
        bands = by_section(show.price_bands)
        sections: dict[str, list[dict[str, Any]]] = {}
        for band in bands:
            prefix = f"{band.name}-" if band.name_in_labels else ""
            sections.setdefault(band.name, []).extend(
                {
                    "row": row.row,
                    "prefix": prefix + (f"{row.row}-" if row.row else ""),
                    "seats": row.seats,
                    "price_cents": band.price_cents,
                }
                for row in band.rows
            )
        seats = self.seat_map(show)
        return {
            "sections": [{"name": name, "rows": rows} for name, rows in sections.items()],
            "status": "".join(STATUS_LETTERS[seat["status"]] for seat in seats),
            "waiting": {
                str(i): s["queue_length"] for i, s in enumerate(seats) if s["queue_length"]
            },
        }

    def seat_counts(self, show_id: UUID) -> Counter[str]:
        """Seats per status (HELD, SOLD; FREE is the show's seat count less both), counted on
        read, so that no item is written by every seat's event. The cost: one Query of the
        seat-map index projecting only `status`, reading every seat of the show that somebody
        ever asked for (~180 bytes each): for 50,000 such seats, ~9 MB read in ~9 pages of 1 MB,
        ~1,100 read units (eventually consistent); ~2 s on DynamoDB Local, where a bare
        Select=COUNT of the same items takes ~1.1 s."""
        items = paged_items(
            self.client.query,
            TableName=self.tables.seat_map,
            IndexName=BY_SHOW.name,
            KeyConditionExpression="#k = :v",
            ProjectionExpression="#s",
            ExpressionAttributeNames={"#k": BY_SHOW.hash_key, "#s": "status"},
            ExpressionAttributeValues={":v": {"S": str(show_id)}},
        )
        return Counter(item["status"]["S"] for item in items)

    def shows(
        self, limit: int, cursor: Cursor | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of shows, newest first, and the cursor of the next page (None: the last).
        A Query of the shows' sparse index: only show items are in it."""
        table = self.tables.seat_map
        return self._page(table, SHOWS_BY_TIME, LISTING, limit, cursor, False)

    def orders_of(
        self, customer_id: str, limit: int, cursor: Cursor | None = None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """A page of a customer's orders, oldest first, and the next page's cursor."""
        table = self.tables.orders
        return self._page(table, BY_CUSTOMER, customer_id, limit, cursor, True)

    def every_order_of(self, customer_id: str) -> list[dict[str, Any]]:
        """All of a customer's orders, oldest first (the operator's CLI; the API pages)."""
        table = self.tables.orders
        return self._query(table, BY_CUSTOMER.name, BY_CUSTOMER.hash_key, customer_id)

    def _page(
        self,
        table: str,
        index: IndexSpec,
        value: str,
        limit: int,
        cursor: Cursor | None,
        forward: bool,
    ) -> tuple[list[dict[str, Any]], str | None]:
        query: dict[str, Any] = {
            "TableName": table,
            "IndexName": index.name,
            "KeyConditionExpression": "#k = :v",
            "ExpressionAttributeNames": {"#k": index.hash_key},
            "ExpressionAttributeValues": {":v": {"S": value}},
            "ScanIndexForward": forward,
            "Limit": limit + 1,  # one more: is there a next page?
        }
        if cursor is not None:
            if (cursor.index, cursor.value) != (index.name, value):
                raise InvalidCursor("Not a cursor of this list")
            query["ExclusiveStartKey"] = {
                "pk": {"S": cursor.pk},
                index.hash_key: {"S": value},
                index.range_key: {"S": cursor.sort_key},
            }
        page = call_with_retry(self.client.query, Backoff(), **query)
        items = [from_ddb(i) for i in page.get("Items", [])]
        if len(items) <= limit:
            return items, None
        last = items[limit - 1]
        return items[:limit], _encode(index.name, value, last[index.range_key], last["pk"])

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


def _encode(index: str, value: str, sort_key: str, pk: str) -> str:
    """Opaque to clients; it names the list it belongs to, so it is refused on any other."""
    raw = json.dumps([index, value, sort_key, pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@dataclass(frozen=True)
class Cursor:
    """Where a page starts: after the item (`sort_key`, `pk`) of the list (`index`, `value`)."""

    index: str
    value: str
    sort_key: str
    pk: str


def decode_cursor(cursor: str) -> Cursor:
    """A cursor's text, as this API gave it out; raises InvalidCursor. Checked before any
    table is read, and again against the list it is used on."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        fields = json.loads(raw)
    except (binascii.Error, ValueError, TypeError):
        raise InvalidCursor("Not a cursor this API gave out") from None
    if not (
        isinstance(fields, list) and len(fields) == 4 and all(isinstance(f, str) for f in fields)
    ):
        raise InvalidCursor("Not a cursor this API gave out")
    return Cursor(*fields)
