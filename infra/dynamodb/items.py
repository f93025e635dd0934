"""Item layout of the event table and its encoding (low-level DynamoDB JSON, no resource layer).

Keys (``pk`` string, ``sk`` number), all namespaced by application name.

The event table (it has a stream):

- ``<app>#E#<id>``  sk = TIP_SK: the aggregate's *tip* (``kind`` = "tip"): head version ``v``
                    and ``bs``, a list of packed batches, one per save. Each write appends one
                    batch, so the last batch of a tip's stream image is exactly what that write
                    added. sk = first version: immutable archive items holding the ``bs`` of a
                    tip that grew full.
- ``<app>#T#<up>``  sk = 0: tracking position ``n`` of upstream log ``up``.
- ``<app>#S#<id>``  sk = version: one snapshot.

The index table (written after the commit, by `infra.dynamodb.index`):

- ``<app>#X#<p>``   sk = first notification id: a page of index partition ``p``: ``ev``, events
                    of many saves with their originators, packed; ``n``. Ids are dense per
                    partition.
- ``<app>#M#<id>``  sk = 0: the aggregate's *mark*: the last version indexed (``v``), at which
                    id (``id``) and in which partition (``p``).

Events are packed with msgpack into one binary attribute per batch: far cheaper to send, check
and parse than one list element per field per event.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import msgspec
from eventsourcing.persistence import StoredEvent

TIP_SK = 2**62  # sorts after every archive item of an aggregate
ITEM_LIMIT = 400 * 1024  # DynamoDB's item size limit
TIP_LIMIT = 64 * 1024  # a tip past this is moved to an archive item (keeps update costs flat)
PAGE_LIMIT = 300 * 1024  # events are split into index pages of at most this size
MAX_TRANSACTION_ITEMS = 100
ENTRY_OVERHEAD = 48  # bytes per event for attribute names, type markers and numbers


def aggregate_pk(app: str, originator_id: UUID | str) -> str:
    return f"{app}#E#{originator_id}"


def index_pk(app: str, partition: int) -> str:
    return f"{app}#X#{partition}"


def mark_pk(app: str, originator_id: UUID | str) -> str:
    return f"{app}#M#{originator_id}"


def app_of(pk: str) -> str:
    """The application name a key belongs to (names may not contain '#')."""
    return pk.split("#", 1)[0]


def partition_of(originator_id: UUID | str, partitions: int) -> int:
    """The index partition of an aggregate: stable across processes and releases."""
    return zlib.crc32(str(originator_id).encode()) % partitions


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


_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder()


def pack(events: Sequence[StoredEvent]) -> dict[str, bytes]:
    """One aggregate's batch: [[version, topic, state], ...]."""
    return {"B": _encoder.encode([[e.originator_version, e.topic, e.state] for e in events])}


def pack_page(events: Sequence[StoredEvent]) -> dict[str, bytes]:
    """An index page: [[originator id, version, topic, state], ...]."""
    rows = [[encode_id(e.originator_id), e.originator_version, e.topic, e.state] for e in events]
    return {"B": _encoder.encode(rows)}


def unpack_page(item: dict[str, Any]) -> list[tuple[UUID | str, int, str, bytes]]:
    return [(decode_id(o), v, t, s) for o, v, t, s in _decoder.decode(item["ev"]["B"])]


def unpack_batch(originator_id: UUID | str, blob: bytes) -> list[StoredEvent]:
    """One packed batch of an aggregate (as `pack` wrote it)."""
    return [StoredEvent(originator_id, v, t, s) for v, t, s in _decoder.decode(blob)]


@dataclass(frozen=True)
class Packed:
    """Events decoded from one tip or archive item, in version order."""

    versions: list[int]
    topics: list[str]
    states: list[bytes]

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> Packed:
        rows = [row for blob in item["bs"]["L"] for row in _decoder.decode(blob["B"])]
        return cls([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])

    def events(self, originator_id: UUID | str) -> list[StoredEvent]:
        return [
            StoredEvent(originator_id, v, t, s)
            for v, t, s in zip(self.versions, self.topics, self.states, strict=True)
        ]
