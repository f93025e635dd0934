"""The ordered index, built after the commit: pages of many saves' events, dense ids per partition.

The write path touches only the aggregates it changes, so no id is taken at commit time. The
indexer turns committed batches (from the table's stream, or from the writer itself when the
index is inline) into index pages. Per partition, a page is written at the next id only if
absent, so ids are dense and never filled in later. Per aggregate, a *mark* records the last
version indexed; a page and the marks of its aggregates are one transaction, conditional on the
marks being as read. So:

- a batch delivered twice, or read back after an unknown outcome, is dropped by its mark;
- a batch whose earlier versions are not indexed yet (a gap) is completed from the store, read
  strongly consistent, so an aggregate's events are indexed in version order, all of them;
- two indexers of one partition (there should be one) race on the page and the marks: one
  wins, the other re-reads and drops what the winner indexed.

Why hand-written: the library's recorders give one id per commit; this gives ids per index
page, after the fact, which no library does for DynamoDB. Long for the same reason as
`commit`: deciding what a refused or unanswered index write means takes the whole request.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID, uuid4

from botocore.exceptions import ClientError
from eventsourcing.persistence import OperationalError, StoredEvent

from infra.dynamodb.client import AMBIGUOUS_ERRORS, TRANSIENT_CODES, UNSENT_ERRORS, call_with_retry
from infra.dynamodb.commit import TRANSIENT_REASONS
from infra.dynamodb.index_reader import IndexReader
from infra.dynamodb.items import (
    ITEM_LIMIT,
    MAX_TRANSACTION_ITEMS,
    PAGE_LIMIT,
    N,
    S,
    event_size,
    index_pk,
    mark_pk,
    pack_page,
    partition_of,
)
from infra.dynamodb.reads import read_aggregate
from infra.retry import Backoff, error_code

Position = tuple[int, int]  # (partition, notification id)
MARKS_CACHED = 100_000
TRANSACTION_BYTES = 3 * 1024 * 1024  # within DynamoDB's 4 MB, with room for the marks


@dataclass(frozen=True)
class Committed:
    """One save's events of one aggregate, as committed (``starts``: the save created it)."""

    originator_id: UUID | str
    events: list[StoredEvent]
    starts: bool = False


class GapNotFilled(Exception):  # noqa: N818 - a state, raised to wait for another writer
    """Earlier versions of an aggregate are committed but not indexed yet."""


@dataclass
class _Mark:
    version: int
    position: int  # notification id of that version


@dataclass
class Indexer:
    client: Any
    event_table: str
    index_table: str
    app: str
    partitions: int = 1
    fill_gaps: bool = True  # False: raise GapNotFilled and let the caller wait
    backoff: Backoff = field(default_factory=Backoff)
    _heads: dict[int, int] = field(default_factory=dict)
    _marks: OrderedDict[UUID | str, _Mark | None] = field(default_factory=OrderedDict)

    def index(self, batches: Iterable[Committed]) -> dict[tuple[UUID | str, int], Position]:
        """Index what is not indexed yet; returns the positions of the events it indexed."""
        by_partition: dict[int, list[Committed]] = {}
        for batch in batches:
            if batch.events:
                p = partition_of(batch.originator_id, self.partitions)
                by_partition.setdefault(p, []).append(batch)
        positions: dict[tuple[UUID | str, int], Position] = {}
        for partition, found in by_partition.items():
            positions.update(self._index_partition(partition, found))
        return positions

    def _index_partition(
        self, partition: int, batches: list[Committed]
    ) -> dict[tuple[UUID | str, int], Position]:
        merged: OrderedDict[UUID | str, dict[int, StoredEvent]] = OrderedDict()
        starts: set[UUID | str] = set()
        for batch in batches:
            merged.setdefault(batch.originator_id, {}).update(
                (e.originator_version, e) for e in batch.events
            )
            if batch.starts:
                starts.add(batch.originator_id)
        positions: dict[tuple[UUID | str, int], Position] = {}
        sleeps, races = self.backoff.sleeps(), 0
        # Marks are cached once read or written, so each pass re-reads only what a race moved.
        while todo := self._unindexed(merged, starts):
            try:
                ids = self._write(partition, _chunk(todo))
            except _Raced:
                races += 1
                if races > 200:
                    raise OperationalError(f"Index partition {partition} kept moving") from None
                continue
            except _Transient as e:
                try:
                    time.sleep(next(sleeps))
                except StopIteration:
                    raise OperationalError(f"Index write still failing: {e.cause}") from e.cause
                continue
            positions.update({key: (partition, nid) for key, nid in ids.items()})
        return positions

    def _unindexed(
        self, merged: dict[UUID | str, dict[int, StoredEvent]], starts: set[UUID | str]
    ) -> OrderedDict[UUID | str, list[StoredEvent]]:
        """Each aggregate's events above its mark, completed from the store after a gap."""
        marks = self._load_marks(list(merged))
        todo: OrderedDict[UUID | str, list[StoredEvent]] = OrderedDict()
        for originator_id, by_version in merged.items():
            mark = marks[originator_id]
            done = mark.version if mark else None
            events = [e for v, e in sorted(by_version.items()) if done is None or v > done]
            if not events:
                continue
            versions = [e.originator_version for e in events]
            first = (
                done + 1 if done is not None else versions[0] if originator_id in starts else None
            )
            if versions[0] != first or versions != list(range(versions[0], versions[-1] + 1)):
                # Versions below or among these were committed but are not here (a record not
                # delivered yet, or parked): the store has them all.
                if not self.fill_gaps:
                    raise GapNotFilled(f"{originator_id}: indexed to {done}, got {versions}")
                events = read_aggregate(
                    self.client,
                    self.event_table,
                    self.app,
                    originator_id,
                    gt=done,
                    lte=versions[-1],
                    backoff=self.backoff,
                )
            todo[originator_id] = events
        return todo

    def _write(
        self, partition: int, chunk: OrderedDict[UUID | str, list[StoredEvent]]
    ) -> dict[tuple[UUID | str, int], int]:
        """One transaction: the chunk's pages at the partition's next ids, and their marks."""
        first_id, token = self._head(partition), uuid4().hex
        items: list[dict[str, Any]] = []
        ids: dict[tuple[UUID | str, int], int] = {}
        next_id = first_id
        for page in _pages([e for events in chunk.values() for e in events]):
            items.append(self._page_put(partition, next_id, page, token))
            ids.update(
                {(e.originator_id, e.originator_version): next_id + i for i, e in enumerate(page)}
            )
            next_id += len(page)
        marks = {
            o: _Mark(es[-1].originator_version, ids[(o, es[-1].originator_version)])
            for o, es in chunk.items()
        }
        items += [self._mark_update(partition, o, mark) for o, mark in marks.items()]
        try:
            self.client.transact_write_items(TransactItems=items)
        except ClientError as e:
            self._forget(partition, chunk)
            codes = {r.get("Code") for r in e.response.get("CancellationReasons") or []}
            if "ConditionalCheckFailed" in codes:
                raise _Raced() from e
            cancelled = error_code(e) == "TransactionCanceledException"
            if cancelled and not codes <= TRANSIENT_REASONS | {"None", None}:
                raise  # e.g. a validation error: retrying cannot help
            if not cancelled and error_code(e) not in TRANSIENT_CODES:
                raise
            raise _Transient(e) from e
        except AMBIGUOUS_ERRORS as e:
            if not self._ours(partition, first_id, token):
                self._forget(partition, chunk)
                raise _Transient(e) from e
        except UNSENT_ERRORS as e:
            raise _Transient(e) from e
        self._heads[partition] = next_id
        for originator_id, mark in marks.items():
            self._remember(originator_id, mark)
        return ids

    def _page_put(
        self, partition: int, first_id: int, page: list[StoredEvent], token: str
    ) -> dict[str, Any]:
        item = {
            "pk": S(index_pk(self.app, partition)),
            "sk": N(first_id),
            "n": N(len(page)),
            "ev": pack_page(page),
            "tok": S(token),
            "at": N(time.time_ns() // 1_000_000),
        }
        return {
            "Put": {
                "TableName": self.index_table,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }

    def _mark_update(
        self, partition: int, originator_id: UUID | str, mark: _Mark
    ) -> dict[str, Any]:
        old = self._marks.get(originator_id)
        values = {":v": N(mark.version), ":id": N(mark.position), ":p": N(partition)}
        if old is not None:
            values[":old"] = N(old.version)
        return {
            "Update": {
                "TableName": self.index_table,
                "Key": {"pk": S(mark_pk(self.app, originator_id)), "sk": N(0)},
                "UpdateExpression": "SET v = :v, id = :id, p = :p",
                "ConditionExpression": "attribute_not_exists(v)" if old is None else "v = :old",
                "ExpressionAttributeValues": values,
            }
        }

    def _ours(self, partition: int, first_id: int, token: str) -> bool:
        item = call_with_retry(
            self.client.get_item,
            self.backoff,
            TableName=self.index_table,
            Key={"pk": S(index_pk(self.app, partition)), "sk": N(first_id)},
            ConsistentRead=True,
            ProjectionExpression="tok",
        ).get("Item")
        return bool(item) and item.get("tok", {}).get("S") == token

    def _forget(self, partition: int, chunk: Iterable[UUID | str]) -> None:
        """After a lost race: re-read the head and the marks before trying again."""
        self._heads.pop(partition, None)
        for originator_id in chunk:
            self._marks.pop(originator_id, None)

    def _head(self, partition: int) -> int:
        if partition not in self._heads:
            reader = IndexReader(self.client, self.index_table, self.app, partition, self.backoff)
            self._heads[partition] = (reader.max_notification_id() or 0) + 1
        return self._heads[partition]

    def _load_marks(self, originators: Sequence[UUID | str]) -> dict[UUID | str, _Mark | None]:
        wanted = [o for o in dict.fromkeys(originators) if o not in self._marks]
        for start in range(0, len(wanted), 100):  # BatchGetItem's limit
            keys = {mark_pk(self.app, o): o for o in wanted[start : start + 100]}
            found: dict[UUID | str, _Mark | None] = dict.fromkeys(keys.values())
            request: dict[str, Any] = {
                self.index_table: {
                    "Keys": [{"pk": S(k), "sk": N(0)} for k in keys],
                    "ConsistentRead": True,
                }
            }
            while request:
                answer = call_with_retry(
                    self.client.batch_get_item, self.backoff, RequestItems=request
                )
                for item in answer["Responses"].get(self.index_table, []):
                    found[keys[item["pk"]["S"]]] = _Mark(int(item["v"]["N"]), int(item["id"]["N"]))
                request = answer.get("UnprocessedKeys") or {}
            for originator_id, mark in found.items():
                self._remember(originator_id, mark)
        return {o: self._marks[o] for o in originators}

    def _remember(self, originator_id: UUID | str, mark: _Mark | None) -> None:
        self._marks[originator_id] = mark
        self._marks.move_to_end(originator_id)
        while len(self._marks) > MARKS_CACHED:
            self._marks.popitem(last=False)


class _Raced(Exception):  # noqa: N818 - another indexer moved the page or a mark
    pass


class _Transient(Exception):  # noqa: N818
    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _chunk(
    todo: OrderedDict[UUID | str, list[StoredEvent]],
) -> OrderedDict[UUID | str, list[StoredEvent]]:
    """As much as one transaction holds: its pages plus one mark per aggregate (an aggregate
    with more unindexed events than that is indexed in parts, oldest first)."""
    chunk: OrderedDict[UUID | str, list[StoredEvent]] = OrderedDict()
    size, pages, page_size = 0, 1, 0
    for originator_id, events in todo.items():
        taken: list[StoredEvent] = []
        for event in events:
            n = event_size(event)
            new_page = page_size > 0 and page_size + n > PAGE_LIMIT  # as `_pages` splits
            items = len(chunk) + 1 + pages + new_page
            if (chunk or taken) and (size + n > TRANSACTION_BYTES or items > MAX_TRANSACTION_ITEMS):
                break
            pages, page_size = (pages + 1, n) if new_page else (pages, page_size + n)
            size += n
            taken.append(event)
        if taken:
            chunk[originator_id] = taken
        if len(taken) < len(events):
            break
    return chunk


def _pages(events: list[StoredEvent]) -> list[list[StoredEvent]]:
    pages: list[list[StoredEvent]] = [[]]
    size = 0
    for event in events:
        n = event_size(event)
        if n > ITEM_LIMIT - 4096:
            raise OperationalError(f"An event of {n} bytes cannot fit an index page")
        if pages[-1] and size + n > PAGE_LIMIT:
            pages.append([])
            size = 0
        pages[-1].append(event)
        size += n
    return pages
