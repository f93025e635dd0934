"""Runs a reaction projection (payment, reallocation): events in, domain commands out.

Per delivered event, the store's event at that aggregate version is read (strongly consistent)
and checked against what was delivered; its commands come from the stored event, never the bus
payload. Commands re-read state and do nothing when it does not call for them, and a payment's
id is the gateway's idempotency key, so a duplicate, late or reordered event is harmless: no
position is needed. Events of one aggregate run in version order; different aggregates run in
parallel, so one order's gateway call never waits for another's.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.contract import EventDetail
from infra.correlation import correlated
from infra.pipeline.consumer import Outcome
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.source import StoreSource
from projections.reactions import Reaction

if TYPE_CHECKING:
    from domain.application import Ticketing

logger = logging.getLogger(__name__)


class WaitingBehind(Exception):  # noqa: N818 - an outcome: retried with the event before it
    """Not run: an earlier event of the same aggregate failed (or was put off) first."""


POOL = ThreadPoolExecutor(max_workers=32, thread_name_prefix="reactor")


@dataclass
class Reactor:
    reaction: Reaction
    app: Ticketing
    source: StoreSource
    accept_test_events: bool = False
    logger: logging.Logger | Any = field(default_factory=lambda: logger)  # the handler's logger

    def apply(self, details: list[EventDetail]) -> list[Outcome]:
        """Run the commands of each detail; one outcome per detail."""
        outcome: list[Outcome] = [None] * len(details)
        groups: dict[UUID, list[int]] = {}
        for i, detail in enumerate(details):
            if detail.detail_type in self.reaction.detail_types:
                groups.setdefault(detail.aggregate_id, []).append(i)
        work = {
            aggregate_id: POOL.submit(self._run_in_order, [details[i] for i in indexes])
            for aggregate_id, indexes in groups.items()
        }
        for aggregate_id, future in work.items():
            for i, result in zip(groups[aggregate_id], future.result(), strict=True):
                outcome[i] = result
        return outcome

    def _run_in_order(self, delivered: list[EventDetail]) -> list[Outcome]:
        results: list[Outcome] = [None] * len(delivered)
        failed: Exception | None = None
        for i in sorted(range(len(delivered)), key=lambda i: delivered[i].aggregate_version):
            if failed is not None:  # keep this aggregate's order: the rest is retried later
                results[i] = WaitingBehind(f"an earlier event of its aggregate failed: {failed!r}")
                continue
            try:
                with correlated(delivered[i].correlation_id):  # what it saves carries the id on
                    self.run(delivered[i])
            except PoisonInput as e:
                results[i] = e
            except Exception as e:
                results[i] = failed = e
        return results

    def run(self, detail: EventDetail) -> None:
        """The commands of one event: the stored event, or a test event if those are allowed."""
        if detail.test:  # not in the store: acted on only if allowed
            if not self.accept_test_events:
                logger.info("ignoring test event %s", detail.event_id)
                return
            if detail.payload is None:
                raise PoisonInput("a test event needs its payload")
            event = detail
        else:
            stored = self.source.at(detail.aggregate_id, detail.aggregate_version)
            self.source.check(detail, stored)
            assert stored is not None
            event = stored
        for command in self.reaction.commands(event):
            self.app.execute(command)
            self.logger.info(
                "%s: %s %s v%d -> %s %s",
                self.reaction.name,
                detail.detail_type,
                detail.aggregate_id,
                detail.aggregate_version,
                type(command).__name__,
                getattr(command, "order_id", None) or getattr(command, "payment_id", ""),
            )
