"""Rebuild views from the ordered index into shadow tables, then swap them in.

Each view has two tables (`infra.tables.TWINS`): the live one, and the one a rebuild empties and
fills. The index is the source (not the 24-hour stream). A rebuild runs in three steps:

1. **Bulk.** Pages of the index are read in order, folded into items in memory and written with
   ``BatchWriteItem``: no read-modify-write per event. Nobody else writes the shadow yet, so
   unconditional writes are safe. The shadow keeps its position per index partition, written
   after the items it covers, so an interrupted rebuild resumes where it stopped.
2. **Follow.** The catalog marks the shadow as followed: the live consumers then apply every
   event to it as well as to the live table (exactly, per aggregate). The rebuild waits until
   they have all seen that, then catches up from the index with the same exact projector,
   through the follower (`infra.pipeline.follower`) from the shadow's positions.
3. **Swap.** The catalog makes the shadow live in one conditional write, and the rebuild catches
   up once more for events consumed while consumers were switching.

Only views are rebuilt: the reactions' effects (orders settled, cards charged) are already
events in the store, so a rebuild runs no command and never charges a card. Long: the three
steps share their positions and tables, so they stay in one module.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.utils import get_topic

from domain.contract import EVENT_TYPES
from infra.dynamodb.client import call_with_retry
from infra.dynamodb.index_reader import IndexReader
from infra.dynamodb.reads import paged_items
from infra.mapping import PydanticMapper
from infra.pipeline.follower import Follower, Positions, ViewSink, refuse_poison
from infra.pipeline.source import StoreSource, fact_of_stored
from infra.readmodels.catalog import REFRESH_SECONDS, VIEW_ROLES, Catalog
from infra.readmodels.codec import from_ddb, to_ddb
from infra.readmodels.projector import Projector, fold
from infra.retry import Backoff
from infra.tables import TWINS
from projections.base import Fact, Item, View
from projections.views import VIEWS

Progress = Callable[[str, int, int], None]  # view, events rebuilt, events in the index
POSITION = "position#"  # the shadow's position in one index partition
WRITERS = ThreadPoolExecutor(max_workers=8, thread_name_prefix="rebuild-write")
ITEMS_IN_MEMORY = 200_000  # per view; beyond, items are read back from the shadow


@dataclass
class RebuildResult:
    view: str
    old_table: str
    new_table: str
    events: int
    seconds: float


def view_named(name: str) -> View:
    for view in VIEWS:
        if view.name == name:
            return view
    raise KeyError(f"no view {name!r}; views: {', '.join(v.name for v in VIEWS)}")


@dataclass
class ShadowPositions(Positions):
    """A shadow's positions, as items of the shadow itself: written after the items they
    cover, so an interrupted rebuild resumes where it stopped; deleted once it is live."""

    client: Any
    table: str

    def at(self, application: str, partition: int) -> int:
        item = self.client.get_item(
            TableName=self.table, ConsistentRead=True, Key=self._key(application, partition)
        ).get("Item")
        return int(item["n"]["N"]) if item else 0

    def reach(self, application: str, partition: int, position: int) -> int:
        item = self._item(application, partition, position)
        self.client.put_item(TableName=self.table, Item=item)
        return position

    def start(self, application: str, partition: int, position: int) -> None:
        """The first position of a fresh shadow (refused if it has one)."""
        self.client.put_item(
            TableName=self.table,
            Item=self._item(application, partition, position),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def drop(self, application: str, partition: int) -> None:
        self.client.delete_item(TableName=self.table, Key=self._key(application, partition))

    def _key(self, application: str, partition: int) -> dict[str, Any]:
        return {"pk": {"S": f"{POSITION}{application}#{partition}"}}

    def _item(self, application: str, partition: int, position: int) -> dict[str, Any]:
        return {**self._key(application, partition), "n": {"N": str(position)}}


@dataclass
class Rebuilder:
    client: Any
    catalog: Catalog
    readers: list[IndexReader]  # one per index partition
    source: StoreSource
    page: int = 2000  # events read, folded and written per step
    settle_seconds: float = 2 * REFRESH_SECONDS + 1
    backoff: Backoff = field(default_factory=Backoff)

    @property
    def mapper(self) -> PydanticMapper:
        return self.source.mapper

    def shadow_for(self, view: View) -> str:
        """The table to rebuild `view` into: the twin that is not live, emptied first, or the
        shadow an interrupted run left (resumed where it stopped)."""
        existing = self.catalog.shadow(view.name)
        if existing:
            return existing
        role = VIEW_ROLES[view.name]
        settings = self.catalog.settings
        live = self.catalog.live(fresh=True).of(view.name)
        first, twin = getattr(settings, role), getattr(settings, TWINS[role].role)
        shadow = str(twin if live == first else first)
        self._empty(shadow)
        self.catalog.set_shadow(view.name, shadow)
        return shadow

    def start_at(self, table: str, position: int) -> None:
        """Begin a fresh shadow after `position` in every index partition."""
        for reader in self.readers:
            ShadowPositions(self.client, table).start(reader.app, reader.partition, position)

    def rebuild(self, views: list[View], progress: Progress | None = None) -> list[RebuildResult]:
        """Rebuild `views` in one pass over the index; each is swapped in once caught up."""
        started = time.monotonic()
        shadows = {view.name: self.shadow_for(view) for view in views}
        applied, waited = dict.fromkeys(shadows, 0), 0.0
        fresh = [view for view in views if not self.catalog.followed(view.name)]
        if fresh:
            applied.update(self._bulk(fresh, shadows, progress))
            for view in fresh:
                self.catalog.follow(view.name, shadows[view.name])
            waited += self._settle()
        exact = {v.name: Projector(self.client, shadows[v.name], v, self.source) for v in views}
        for view in views:
            applied[view.name] += self._catch_up(view, shadows[view.name], exact[view.name])
        old = {v.name: self.catalog.live(fresh=True).of(v.name) for v in views}
        for view in views:
            if old[view.name] != shadows[view.name]:
                self.catalog.swap(view.name, old[view.name], shadows[view.name])
        waited += self._settle()
        for view in views:
            applied[view.name] += self._catch_up(view, shadows[view.name], exact[view.name])
            if old[view.name] != shadows[view.name]:
                self._reconcile(old[view.name], shadows[view.name], exact[view.name])
            for reader in self.readers:  # the live table needs no positions
                ShadowPositions(self.client, shadows[view.name]).drop(reader.app, reader.partition)
        busy = time.monotonic() - started - waited  # the wait for consumers is not rebuild work
        return [
            RebuildResult(v.name, old[v.name], shadows[v.name], applied[v.name], busy)
            for v in views
        ]

    def _settle(self) -> float:
        # Consumers re-read the catalog every REFRESH_SECONDS; what they applied to the old
        # table meanwhile is in the index, and caught up by the next pass.
        time.sleep(self.settle_seconds)
        return self.settle_seconds

    def _bulk(
        self, views: list[View], shadows: dict[str, str], progress: Progress | None
    ) -> dict[str, int]:
        """Fold each view's events from the index in memory; write what changed in bulk."""
        applied = {view.name: 0 for view in views}
        total = sum(r.max_notification_id() or 0 for r in self.readers)
        topics = sorted({get_topic(EVENT_TYPES[t]) for v in views for t in v.detail_types})
        for reader in self.readers:
            kept = {v.name: ShadowPositions(self.client, shadows[v.name]) for v in views}
            starts = {name: p.at(reader.app, reader.partition) for name, p in kept.items()}
            items: dict[str, dict[str, Item]] = {v.name: {} for v in views}
            # Whether every item of the shadow is in memory (a fresh shadow, nothing dropped).
            whole = {name: start == 0 for name, start in starts.items()}
            position = min(starts.values())
            # Writes of one page run while the next is read and folded; a page's writes are
            # submitted only once the previous page's are done, so one item's never overlap.
            in_flight: list[Future[None]] = []
            while batch := reader.select_notifications(position + 1, self.page, topics=topics):
                facts = [(n.id, fact_of_stored(self.mapper, n)) for n in batch]
                writes = []
                for view in views:
                    mine = [f for nid, f in facts if nid > starts[view.name]]
                    mine = [f for f in mine if f.detail_type in view.detail_types]
                    changed = self._fold(
                        view, shadows[view.name], items[view.name], mine, whole[view.name]
                    )
                    writes += [(shadows[view.name], items[view.name][k]) for k in changed]
                    applied[view.name] += len(mine)
                self._settle_writes(in_flight, views, shadows, reader, position)
                in_flight = self._submit(writes)
                position = batch[-1].id
                if any(len(items[v.name]) > ITEMS_IN_MEMORY for v in views):
                    self._settle_writes(in_flight, views, shadows, reader, position)
                    in_flight = []
                    for view in views:  # written: what is dropped is read back when needed
                        items[view.name].clear()
                        whole[view.name] = False
                if progress:
                    for view in views:
                        progress(view.name, position, max(total, position))
            self._settle_writes(in_flight, views, shadows, reader, position)
        return applied

    def _fold(
        self, view: View, shadow: str, items: dict[str, Item], facts: list[Fact], whole: bool
    ) -> set[str]:
        if not whole:  # items written before (an interruption, or dropped) are in the shadow
            items.update(self._read(shadow, {view.key(f) for f in facts} - set(items)))
        changed: set[str] = set()
        for fact in facts:
            key = view.key(fact)
            item = items.get(key)
            if item is not None and int(item["version"]) >= fact.aggregate_version:
                continue  # written before an interruption
            new = fold(view, item, [fact])
            if new is not None:
                items[key] = new
                changed.add(key)
        return changed

    def _reconcile(self, old: str, new: str, exact: Projector) -> None:
        """Bring up, in the new table, every item the old one has newer: events consumers
        applied before they kept the shadow up, and the index did not hold yet when the rebuild
        caught up. Consumers no longer write the old table, so this misses nothing."""
        newer = {i["pk"]["S"]: int(i["version"]["N"]) for i in self._versions(old)}
        for item in self._versions(new):
            if newer.get(item["pk"]["S"], -1) <= int(item["version"]["N"]):
                newer.pop(item["pk"]["S"], None)
        for key in newer:
            exact.refresh(UUID(key.split("#", 1)[1]))

    def _versions(self, table: str) -> list[dict[str, Any]]:
        return [
            item
            for item in paged_items(
                self.client.scan,
                TableName=table,
                ConsistentRead=True,
                ProjectionExpression="pk, version",
            )
            if "version" in item
        ]

    def _catch_up(self, view: View, shadow: str, exact: Projector) -> int:
        """Follow the index from the shadow's positions up to its head, exactly per aggregate;
        stops at the first failure (tried once) or poison, and the next run resumes. Returns
        the view's events applied."""
        sink = ViewSink(exact.apply, view.detail_types)
        Follower(
            self.readers,
            ShadowPositions(self.client, shadow),
            sink,
            self.mapper,
            page=self.page,
            park=refuse_poison,
            backoff=Backoff(attempts=1),
        ).catch_up(grace_seconds=None)
        return sink.applied

    def _submit(self, writes: list[tuple[str, Item]]) -> list[Future[None]]:
        """Every item, 25 to a BatchWriteItem, several requests at once."""
        by_table: dict[str, list[Item]] = {}
        for table, item in writes:
            by_table.setdefault(table, []).append(item)
        return [
            WRITERS.submit(self._write_chunk, table, items[i : i + 25])  # BatchWriteItem's limit
            for table, items in by_table.items()
            for i in range(0, len(items), 25)
        ]

    def _settle_writes(
        self,
        in_flight: list[Future[None]],
        views: list[View],
        shadows: dict[str, str],
        reader: IndexReader,
        position: int,
    ) -> None:
        """Wait for the writes of the pages up to `position`, then record it as reached."""
        if not in_flight:
            return
        for future in in_flight:
            future.result()
        for view in views:
            ShadowPositions(self.client, shadows[view.name]).reach(
                reader.app, reader.partition, position
            )

    def _write_chunk(self, table: str, chunk: list[Item]) -> None:
        request: dict[str, Any] = {table: [{"PutRequest": {"Item": to_ddb(i)}} for i in chunk]}
        sleeps = self.backoff.sleeps()
        while request:
            answer = call_with_retry(
                self.client.batch_write_item, self.backoff, RequestItems=request
            )
            request = answer.get("UnprocessedItems") or {}
            if request:
                time.sleep(next(sleeps, 0.5))

    def _read(self, table: str, keys: set[str]) -> dict[str, Item]:
        found: dict[str, Item] = {}
        wanted = sorted(keys)
        for start in range(0, len(wanted), 100):
            request: dict[str, Any] = {
                table: {
                    "Keys": [{"pk": {"S": k}} for k in wanted[start : start + 100]],
                    "ConsistentRead": True,  # items this rebuild wrote a moment ago
                }
            }
            while request:
                answer = call_with_retry(
                    self.client.batch_get_item, self.backoff, RequestItems=request
                )
                found.update((i["pk"]["S"], from_ddb(i)) for i in answer["Responses"][table])
                request = answer.get("UnprocessedKeys") or {}
        return found

    def _empty(self, table: str) -> None:
        items = paged_items(self.client.scan, TableName=table, ProjectionExpression="pk")
        keys = [{"DeleteRequest": {"Key": {"pk": item["pk"]}}} for item in items]
        for i in range(0, len(keys), 25):  # BatchWriteItem's limit
            request: dict[str, Any] = {table: keys[i : i + 25]}
            while request:
                answer = self.client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}
