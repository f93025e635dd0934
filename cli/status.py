"""`seatledger status`: how far behind each consumer is, and what waits in the queues."""

from __future__ import annotations

from typing import Any

import typer

from cli.common import console, help_of, table
from cli.dlq import NOTE, queues_of, sqs
from cli.queues import depth

CAUGHT_UP = (
    "positions are the catch-up's, which follows the ordered index a minute behind the bus: "
    "a lag of a minute's events is normal, a growing one is not"
)


def positions() -> list[dict[str, Any]]:
    """Each consumer's tracked position in each index partition, and that partition's head."""
    from infra.dynamodb.recorders import DynamoDBTrackingRecorder
    from infra.pipeline.follower import log_name, readers_of
    from infra.settings import APP_NAME, Settings
    from infra.wiring import dynamodb
    from projections.reactions import REACTIONS

    settings = Settings.from_env()
    consumers = ["read-models", *(r.name for r in REACTIONS)]  # as `wiring.catch_up` runs them
    rows = []
    for reader in readers_of(dynamodb(), settings.index_table, APP_NAME, settings.index_partitions):
        head = reader.max_notification_id() or 0
        for name in consumers:
            tracking = DynamoDBTrackingRecorder(dynamodb(), settings.event_table, name)
            position = tracking.max_tracking_id(log_name(APP_NAME, reader.partition)) or 0
            rows.append(
                {
                    "consumer": name,
                    "partition": reader.partition,
                    "position": position,
                    "head": head,
                    "lag": head - position,
                }
            )
    return rows


def status(ctx: typer.Context) -> None:
    """Each consumer's position and lag in the ordered index, each queue's depth (waiting and
    in flight) and how many messages each dead-letter queue holds."""
    queues = queues_of(ctx.obj.aws)  # first: with --aws it finds the stack's tables too
    client = sqs()
    depths = []
    for q in queues:
        row: dict[str, Any] = {"queue": q.name, "waiting": None, "in_flight": None}
        if q.source is not None:
            row |= depth(client, q.source)
        parked = depth(client, q.dead_letters)
        depths.append(row | {"parked": parked["waiting"] + parked["in_flight"]})
    consumers = positions()
    if ctx.obj.output.as_json:
        ctx.obj.output.emit({"consumers": consumers, "queues": depths})
        return
    lag = table(
        "consumers", list(consumers[0]) if consumers else [], [list(r.values()) for r in consumers]
    )
    shown = table(
        "queues",
        ["queue", "waiting", "in flight", "parked (dead letters)"],
        [list(r.values()) for r in depths],
    )
    console.print(lag)
    console.print(CAUGHT_UP, soft_wrap=True)
    console.print(shown)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("status", help=f"{help_of(status)}\n\n{NOTE}")(status)
