"""Item layout of the event table and its encoding (low-level DynamoDB JSON, no resource layer).

Keys (``pk`` string, ``sk`` number), all namespaced by application name:

- ``<app>#E#<id>``  sk = TIP_SK: the aggregate's *tip*: head version ``v`` and its recent events;
                    sk = first version: immutable archive items the tip was moved into.
- ``<app>#L``       sk = first notification id: a page of the notification log (one or more per
                    save), holding every event of that save with its originator.
- ``<app>#T#<up>``  sk = 0: tracking position ``n`` of upstream application ``up``.
- ``<app>#S#<id>``  sk = version: one snapshot.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

TIP_SK = 2**62  # sorts after every archive item of an aggregate
ITEM_LIMIT = 400 * 1024  # DynamoDB's item size limit
TIP_LIMIT = 64 * 1024  # a tip past this is moved to an archive item (keeps update costs flat)
PAGE_LIMIT = 300 * 1024  # a save's events are split into log pages of at most this size
MAX_TRANSACTION_ITEMS = 100
ENTRY_OVERHEAD = 48  # bytes per event for attribute names, type markers and numbers


def aggregate_pk(app: str, originator_id: UUID | str) -> str:
    return f"{app}#E#{originator_id}"


def log_pk(app: str) -> str:
    return f"{app}#L"


def tracking_pk(app: str, upstream: str) -> str:
    return f"{app}#T#{upstream}"


def snapshot_pk(app: str, originator_id: UUID | str) -> str:
    return f"{app}#S#{originator_id}"


def encode_id(originator_id: UUID | str) -> str:
    # The type is kept so a reader gets back exactly what was written.
    return f"u:{originator_id}" if isinstance(originator_id, UUID) else f"s:{originator_id}"


def decode_id(value: str) -> UUID | str:
    return UUID(value[2:]) if value.startswith("u:") else value[2:]


def event_size(event: StoredEvent) -> int:
    return len(event.state) + len(event.topic) + len(str(event.originator_id)) + ENTRY_OVERHEAD


def N(value: int) -> dict[str, str]:  # noqa: N802
    return {"N": str(value)}


def S(value: str) -> dict[str, str]:  # noqa: N802
    return {"S": value}


def lists(events: Sequence[StoredEvent]) -> dict[str, Any]:
    """The parallel lists (versions, topics, states) that tips, archives and pages hold."""
    return {
        "vs": {"L": [N(e.originator_version) for e in events]},
        "ts": {"L": [S(e.topic) for e in events]},
        "ss": {"L": [{"B": e.state} for e in events]},
    }


@dataclass(frozen=True)
class Packed:
    """Events decoded from one tip, archive or log page."""

    versions: list[int]
    topics: list[str]
    states: list[bytes]

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Packed:
        return cls(
            versions=[int(v["N"]) for v in item["vs"]["L"]],
            topics=[t["S"] for t in item["ts"]["L"]],
            states=[bytes(s["B"]) for s in item["ss"]["L"]],
        )

    def events(self, originator_id: UUID | str) -> list[StoredEvent]:
        return [
            StoredEvent(originator_id, v, t, s)
            for v, t, s in zip(self.versions, self.topics, self.states, strict=True)
        ]
