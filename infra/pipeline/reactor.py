"""Runs a reaction projection (payment, reallocation) in log order, exactly once in effect.

Its position per upstream log is a tracking record in the event store. Commands run in log
order from the position on (caught up from the store after a gap); the position then moves
to the last notification whose commands all succeeded. Commands re-check state and payments
are keyed, so a crash between a command and the position only repeats a no-op.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from eventsourcing.persistence import IntegrityError, Tracking

from domain.contract import EventDetail
from infra.pipeline.dead_letters import PoisonInput
from infra.pipeline.log import LogReader, next_batch
from projections.reactions import Reaction

if TYPE_CHECKING:
    from domain.application import Ticketing
    from infra.dynamodb.recorders import DynamoDBTrackingRecorder

log = logging.getLogger(__name__)


@dataclass
class Reactor:
    reaction: Reaction
    app: Ticketing
    tracking: DynamoDBTrackingRecorder  # owned by the reaction's name
    log: LogReader
    accept_test_events: bool = False
    chunk: int = 20
    _position: int | None = None

    def handle(self, detail: EventDetail) -> int:
        """Run the commands due up to `detail`; returns how many notifications were acted on."""
        if detail.detail_type not in self.reaction.detail_types:
            return 0
        if detail.test:  # not in the log: acted on (if allowed) but never tracked
            if self.accept_test_events and detail.payload is None:
                raise PoisonInput("a test event needs its payload")
            if self.accept_test_events:
                self._run(detail)
                return 1
            log.info("ignoring test event %s", detail.event_id)
            return 0
        if detail.application != self.log.application:
            raise PoisonInput(f"{self.reaction.name} follows {self.log.application!r}")
        done = 0
        while True:
            position = self.position()
            if detail.notification_id <= position:
                return done
            batch = next_batch(self.log, detail, position, self.reaction.detail_types, self.chunk)
            reached = position
            try:
                for item in batch:
                    self._run(item)
                    reached = item.notification_id
                    done += 1
            finally:
                if reached > position:
                    self._advance(reached)

    def catch_up(self) -> int:
        """Run what the log holds after the position (after downtime); returns notifications."""
        done = 0
        while batch := self.log.after(self.position(), self.reaction.detail_types, self.chunk):
            done += self.handle(batch[-1])
        return done

    def _run(self, detail: EventDetail) -> None:
        for command in self.reaction.commands(detail):
            self.app.execute(command)

    def position(self) -> int:
        if self._position is None:
            self._position = self.tracking.max_tracking_id(self.log.application) or 0
        return self._position

    def _advance(self, reached: int) -> None:
        try:
            self.tracking.insert_tracking(Tracking(self.log.application, reached))
            self._position = reached
        except IntegrityError:  # another worker is further: its position stands
            self._position = None
