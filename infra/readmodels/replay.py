"""Rebuild views from the event store into shadow tables, then swap them in.

Each view has two tables (`infra.tables.TWINS`): the live one, and the one a replay empties and
fills. The store's log is the source (not the 24-hour stream). Each shadow table keeps its own log
position like a live view, so an interrupted replay resumes where it stopped. When a shadow has
caught up with the log, the catalog makes it live in one conditional write; readers never see a
half-built view. Only views are replayed: the reactions' effects (orders settled, cards charged)
are already events in the store, so a replay runs no command and never charges a card.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.dynamodb.reads import paged_items
from infra.pipeline.log import LogReader
from infra.readmodels.catalog import REFRESH_SECONDS, VIEW_ROLES, Catalog
from infra.readmodels.projector import TRACKING, Projector
from infra.tables import TWINS
from projections.base import View
from projections.views import VIEWS

Progress = Callable[[str, int, int], None]  # view, position reached, log head


@dataclass
class ReplayResult:
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
class Replayer:
    client: Any
    catalog: Catalog
    log: LogReader
    chunk: int = 90  # events per transaction: each changes at most one item, plus the position
    settle_seconds: float = 2 * REFRESH_SECONDS + 1

    def shadow_for(self, view: View) -> str:
        """The table to rebuild `view` into: the twin that is not live, emptied first, or the
        shadow an interrupted run left (resumed where it stopped)."""
        existing = self.catalog.shadow(view.name)
        if existing:
            return existing
        role = VIEW_ROLES[view.name]
        settings = self.catalog.settings
        live = getattr(self.catalog.live(fresh=True), role)
        first, twin = getattr(settings, role), getattr(settings, TWINS[role].role)
        shadow = str(twin if live == first else first)
        self._empty(shadow)
        self.catalog.set_shadow(view.name, shadow)
        return shadow

    def _empty(self, table: str) -> None:
        items = paged_items(self.client.scan, TableName=table, ProjectionExpression="pk")
        keys = [{"DeleteRequest": {"Key": {"pk": item["pk"]}}} for item in items]
        for i in range(0, len(keys), 25):  # BatchWriteItem's limit
            request: dict[str, Any] = {table: keys[i : i + 25]}
            while request:
                answer = self.client.batch_write_item(RequestItems=request)
                request = answer.get("UnprocessedItems") or {}

    def start_at(self, table: str, position: int) -> None:
        """Begin (or resume) the shadow after `position` (only for a fresh shadow)."""
        self.client.put_item(
            TableName=table,
            Item={"pk": {"S": TRACKING + self.log.application}, "n": {"N": str(position)}},
            ConditionExpression="attribute_not_exists(pk)",
        )

    def replay(self, view: View, progress: Progress | None = None) -> ReplayResult:
        started, shadow = time.monotonic(), self.shadow_for(view)
        projector = Projector(self.client, shadow, view, self.log, chunk=self.chunk)
        applied, replaced, waited = 0, shadow, 0.0
        while True:  # catch up; then once more right after the swap, for what came meanwhile
            head = self.log.head()
            while batch := self.log.after(projector.position(), view.detail_types, self.chunk):
                applied += projector.catch_up_once(batch)
                if progress:
                    progress(
                        view.name, batch[-1].notification_id, max(head, batch[-1].notification_id)
                    )
            if progress:
                progress(view.name, head, head)
            old = getattr(self.catalog.live(fresh=True), VIEW_ROLES[view.name])
            if old == shadow:
                break
            self.catalog.swap(view.name, old, shadow)
            replaced = old
            # Consumers notice the swap within REFRESH_SECONDS; what they applied to the old
            # table until then is caught up from the log on the next pass.
            time.sleep(self.settle_seconds)
            waited += self.settle_seconds
        busy = time.monotonic() - started - waited  # the wait for consumers is not replay work
        return ReplayResult(view.name, replaced, shadow, applied, busy)
