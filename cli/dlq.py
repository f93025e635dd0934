"""`seatledger dlq list|show|redrive`: what the pipeline parked, why, and sending it back."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import typer

from cli.common import Exit, console, errors, fail, help_of, table, use_stack, waiting
from cli.queues import Queues, aws_queues, depth, local_queues, peek, pick, reason_of
from cli.queues import redrive as send_back

QUEUE = typer.Argument(
    None, help="payment, reallocation, read-models, stream-forwarder, indexer (default: all)."
)
LIMIT = typer.Option(100, "--limit", min=1, help="At most this many messages per queue.")
NOTE = (
    "Operator tool: it reads the stack's queues with your AWS credentials (or the local "
    "stack's). With --aws the queues come from the CloudFormation stack's outputs "
    "($SEATLEDGER_STACK, default SeatLedger)."
)


def queues_of(aws: bool) -> list[Queues]:
    use_stack(aws)
    return aws_queues() if aws else local_queues()


def sqs() -> Any:
    import boto3

    return boto3.client("sqs")


def parked(queue: Queues, message: dict[str, Any]) -> dict[str, Any]:
    """A parked message as printed: when, why, from where, and its body (JSON if it is)."""
    attrs = message.get("Attributes", {})
    sent = int(attrs.get("SentTimestamp", 0)) / 1000
    try:
        body: Any = json.loads(message["Body"])
    except ValueError:
        body = message["Body"]
    return {
        "queue": queue.name,
        "message_id": message["MessageId"],
        "parked_at": datetime.fromtimestamp(sent, UTC).isoformat(timespec="milliseconds"),
        "reason": reason_of(message),
        "attributes": {
            k: v.get("StringValue") for k, v in message.get("MessageAttributes", {}).items()
        },
        "body": body,
    }


def read(ctx: typer.Context, queue: str | None, limit: int) -> list[dict[str, Any]]:
    chosen = pick(queues_of(ctx.obj.aws), queue)  # first: it points boto3 at the stack
    client = sqs()
    return [parked(q, m) for q in chosen for m in peek(client, q.dead_letters, limit)]


def list_(ctx: typer.Context, queue: str | None = QUEUE, limit: int = LIMIT) -> None:
    """Each dead-letter queue's parked messages: when, why, and the start of each."""
    rows = read(ctx, queue, limit)
    listing = table(
        f"{len(rows)} parked messages",
        ["queue", "message", "parked at", "reason", "body"],
        [
            [
                r["queue"],
                r["message_id"],
                r["parked_at"][:23],
                r["reason"].splitlines()[0],  # the rest: `dlq show`
                _short(r["body"]),
            ]
            for r in rows
        ],
    )
    ctx.obj.output.emit([{k: v for k, v in r.items() if k != "body"} for r in rows], listing)


def _short(body: Any, width: int = 60) -> str:
    text = body if isinstance(body, str) else json.dumps(body, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


def show(ctx: typer.Context, queue: str | None = QUEUE, limit: int = LIMIT) -> None:
    """Parked messages in full: attributes, reason and the whole body."""
    rows = read(ctx, queue, limit)
    if ctx.obj.output.as_json:
        ctx.obj.output.emit(rows)
        return
    for r in rows:
        console.print(f"[bold]── {r['queue']}: {r['message_id']}[/]", soft_wrap=True)
        fields = {"parked at": r["parked_at"], "reason": r["reason"]}
        fields["attributes"] = {k: v for k, v in r["attributes"].items() if k != "reason"}
        for key, value in fields.items():
            if value:
                console.print(f"{key}: {value}", markup=False, highlight=False, soft_wrap=True)
        if isinstance(r["body"], str):
            console.print(r["body"], markup=False, highlight=False, soft_wrap=True)
        else:
            console.print_json(json.dumps(r["body"]), indent=2)
    errors.print(f"{len(rows)} parked messages")


def redrive(
    ctx: typer.Context,
    queue: str = typer.Argument(..., help="payment, reallocation or read-models."),
) -> None:
    """Send a rule's parked messages back to its queue, once what made them fail is fixed.

    Each is sent before it is deleted here, so none is lost (at worst one is delivered twice,
    and consumers apply each event once). Poison parked again meanwhile waits for the next run.
    """
    [chosen] = pick(queues_of(ctx.obj.aws), queue)
    if chosen.source is None:
        fail(
            Exit.USAGE,
            f"{chosen.name}'s dead letters describe stream batches, not messages: they cannot be "
            "sent back (the catch-up function applies what the index holds)",
        )
    client = sqs()
    spinner = errors.status(f"sending {chosen.name}'s dead letters back")
    with spinner if waiting() and not ctx.obj.output.as_json else contextlib.nullcontext():
        moved = send_back(client, chosen)
    left = depth(client, chosen.dead_letters)["waiting"]
    result = {"queue": chosen.name, "redriven": moved, "to": chosen.source, "parked_now": left}
    ctx.obj.output.emit(result, f"sent back to {chosen.source}: {moved}; parked now: {left}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    dlq = typer.Typer(
        help=f"Dead-letter queues: what is parked, why, and redrive.\n\n{NOTE}",
        no_args_is_help=True,
    )
    dlq.command("list", help=help_of(list_), epilog=NOTE)(list_)
    dlq.command("show", help=help_of(show), epilog=NOTE)(show)
    dlq.command("redrive", help=help_of(redrive), epilog=NOTE)(redrive)
    app.add_typer(dlq, name="dlq")
