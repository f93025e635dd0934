"""In-process reaction runner: notification log -> policies -> `app.execute`, until quiet.

A stand-in for the queues, for domain tests and benchmarks; deliberately not the follower
(`infra.pipeline.follower`, which follows the index for the catch-up and rebuilds):

- the domain may not import infra (the import contract), and the follower's sinks, position
  stores, poison parking and Scheduler deferrals are all infra;
- its unit is a pending *command*, not a page of events: tests deliver `pending` commands out of
  order, twice or never, as queues may; a command fails and is retried alone, and one that came
  early waits in `deferred` for the app's clock, where the follower puts it off with Scheduler;
- what it follows is one in-memory log from one integer (`position`): no partitions, no stored
  position to resume from, no grace window.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import TYPE_CHECKING, cast

from eventsourcing.persistence import IntegrityError

from domain.base import DomainEvent
from domain.commands import Command
from domain.errors import TransientError
from domain.policies import react
from domain.reactions import NotYetDue

if TYPE_CHECKING:
    from domain.application import Ticketing

Policy = Callable[[DomainEvent], list[Command]]


class Runner:
    def __init__(
        self, app: Ticketing, policy: Policy = react, *, max_retries: int = 5, page: int = 100
    ) -> None:
        self.app = app
        self.policy = policy
        self.max_retries = max_retries
        self.page = page
        self.position = 0  # last notification id whose reactions were queued
        self.pending: deque[tuple[Command, int]] = deque()  # command, failed runs so far
        self.deferred: list[tuple[Command, NotYetDue]] = []  # deadlines not reached yet

    def pull(self) -> int:
        """Queue the commands of notifications recorded since the last pull; returns how many."""
        queued = 0
        now, waiting = self.app.clock(), self.deferred
        self.deferred = [(c, e) for c, e in waiting if e.due > now]
        self.pending.extend((c, 0) for c, e in waiting if e.due <= now)
        while True:
            notifications = self.app.recorder.select_notifications(
                start=self.position + 1, limit=self.page
            )
            for notification in notifications:
                event = cast(DomainEvent, self.app.mapper.to_domain_event(notification))
                commands = self.policy(event)
                self.pending.extend((command, 0) for command in commands)
                queued += len(commands)
                self.position = notification.id
            if len(notifications) < self.page:
                return queued

    def step(self) -> bool:
        """Execute the oldest pending command; False when none is pending."""
        if not self.pending:
            return False
        command, failures = self.pending.popleft()
        try:
            self.app.execute(command)
        except NotYetDue as e:
            self.deferred.append((command, e))  # run again once the app's clock reaches it
        except (TransientError, IntegrityError):
            if failures + 1 >= self.max_retries:
                raise
            self.pending.append((command, failures + 1))  # redelivered later, as a queue would
        return True

    def run_until_quiet(self, max_steps: int = 100_000) -> int:
        """Pull and execute until no notification and no command is left but those deferred
        to a time the app's clock has not reached; returns steps run."""
        for steps in range(max_steps):
            self.pull()
            if not self.step():
                return steps
        raise RuntimeError(f"Reactions still running after {max_steps} commands")
