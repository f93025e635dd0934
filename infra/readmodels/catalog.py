"""Which physical table serves each view: lets a rebuild build a shadow copy and swap it in.

One item in the event table (``pk`` = CATALOG, ``sk`` = 0) maps a view to its live table and,
while a rebuild runs, to the shadow being built, and once the shadow's bulk load is done, to the
shadow the consumers must keep up as well ("followed"). Absent, the tables the settings name
are live. Readers and the read-model consumer look it up every few seconds.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from dataclasses import dataclass
from typing import Any

from infra.settings import Settings

CATALOG = "seatledger#catalog"
VIEW_ROLES = {"seat_map": "seat_map_table", "orders": "orders_table", "payments": "payments_table"}
REFRESH_SECONDS = 2.0


@dataclass(frozen=True)
class ViewTables:
    """Which table serves each view now: its own type, not settings, since a rebuild changes it
    while the settings stay as deployed."""

    seat_map: str
    orders: str
    payments: str

    @classmethod
    def named_in(cls, settings: Settings) -> ViewTables:
        """The tables the settings name (the live ones until a rebuild swaps one)."""
        return cls(**{view: getattr(settings, role) for view, role in VIEW_ROLES.items()})

    def of(self, view: str) -> str:
        return str(getattr(self, view))


class Catalog:
    def __init__(self, client: Any, settings: Settings) -> None:
        self.client = client
        self.settings = settings
        self._lock = threading.Lock()
        self._cached: tuple[float, dict[str, str]] = (0.0, {})

    def _item(self) -> dict[str, str]:
        item = self.client.get_item(
            TableName=self.settings.event_table,
            ConsistentRead=True,
            Key={"pk": {"S": CATALOG}, "sk": {"N": "0"}},
        ).get("Item", {})
        return {k: v["S"] for k, v in item.items() if k not in ("pk", "sk")}

    def _entries(self, fresh: bool) -> dict[str, str]:
        with self._lock:
            at, entries = self._cached
            if fresh or time.monotonic() - at > REFRESH_SECONDS:
                entries = self._item()
                self._cached = (time.monotonic(), entries)
        return entries

    def following(self, fresh: bool = False) -> dict[str, str]:
        """Shadow tables the consumers keep up besides the live ones: view -> table."""
        return self.tables(fresh)[1]

    def tables(self, fresh: bool = False) -> tuple[ViewTables, dict[str, str]]:
        """The live tables and the followed shadows, from one reading of the catalog."""
        entries = self._entries(fresh)
        following = {v: entries[f"follow#{v}"] for v in VIEW_ROLES if f"follow#{v}" in entries}
        return self._live(entries), following

    def followed(self, view: str) -> bool:
        return view in self.following(fresh=True)

    def follow(self, view: str, table: str) -> None:
        self._set(f"follow#{view}", table)

    def live(self, fresh: bool = False) -> ViewTables:
        """Each view's live table, from a copy of the catalog at most a few seconds old."""
        return self._live(self._entries(fresh))

    def _live(self, entries: dict[str, str]) -> ViewTables:
        live = {view: entries[f"live#{view}"] for view in VIEW_ROLES if f"live#{view}" in entries}
        return dataclasses.replace(ViewTables.named_in(self.settings), **live)

    def shadow(self, view: str) -> str | None:
        return self._item().get(f"shadow#{view}")

    def set_shadow(self, view: str, table: str) -> None:
        self._set(f"shadow#{view}", table)

    def _set(self, name: str, table: str) -> None:
        self.client.update_item(
            TableName=self.settings.event_table,
            Key={"pk": {"S": CATALOG}, "sk": {"N": "0"}},
            UpdateExpression="SET #s = :t",
            ExpressionAttributeNames={"#s": name},
            ExpressionAttributeValues={":t": {"S": table}},
        )

    def swap(self, view: str, old: str, new: str) -> None:
        """Make `new` the live table of `view`, if `old` still is (else ConditionalCheckFailed)."""
        default = getattr(self.settings, VIEW_ROLES[view])
        condition = "#l = :old" if old != default else "attribute_not_exists(#l) OR #l = :old"
        self.client.update_item(
            TableName=self.settings.event_table,
            Key={"pk": {"S": CATALOG}, "sk": {"N": "0"}},
            UpdateExpression="SET #l = :new REMOVE #s, #f",
            ConditionExpression=condition,
            ExpressionAttributeNames={
                "#l": f"live#{view}",
                "#s": f"shadow#{view}",
                "#f": f"follow#{view}",
            },
            ExpressionAttributeValues={":old": {"S": old}, ":new": {"S": new}},
        )
        with self._lock:
            self._cached = (0.0, {})
