"""`seatledger history` (an aggregate's events and time travel) and `seatledger log` (a show's
slice of the ordered index, optionally followed live). One module: both print events, and share
how (private fields hidden, payloads shortened).

Long: `history` and `log` share how stored events are read and shown.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime
from enum import Enum
from typing import Any, cast
from uuid import UUID

import typer
from eventsourcing.application import AggregateNotFoundError
from eventsourcing.utils import get_topic
from pydantic import BaseModel
from rich.progress import Progress

from cli.common import (
    Exit,
    console,
    errors,
    fail,
    operator_help,
    table,
    use_stack,
    waiting,
)
from domain.application import Ticketing
from domain.base import Aggregate, DomainEvent
from domain.contract import EVENT_TYPES, PAYLOADS
from domain.errors import UnknownOrder, UnknownShow

# Aggregate attributes that must never be shown (the card token), whichever event set them.
PRIVATE = frozenset().union(*(getattr(c, "private_fields", ()) for c in EVENT_TYPES.values()))
PAGE = 500
POLL_SECONDS = 0.5


def open_app(aws: bool) -> Ticketing:
    """The ticketing application of the chosen stack (no gateway: the CLI never charges)."""
    use_stack(aws)
    from infra.settings import Settings
    from infra.wiring import ticketing

    return ticketing(Settings.from_env())


def parse_id(raw: str, what: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        fail(
            Exit.USAGE,
            f"{raw!r} is not a valid {what} id (expected a UUID like "
            "3f1c1a52-0000-4000-8000-000000000001)",
        )


def plain(value: Any) -> Any:
    """JSON-friendly copy of an attribute value (sets sorted, ids and enums as text)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, UUID | datetime):
        return str(value)
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(plain(v) for v in value)
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def payload(event: DomainEvent) -> dict[str, Any]:
    """The event's bus payload: its own fields, without the envelope and private fields."""
    model = PAYLOADS.get(type(event).__name__)
    fields = set(model.model_fields) if model else set()
    return event.model_dump(include=fields, mode="json")


def short(data: Any, width: int = 80) -> str:
    text = json.dumps(data, separators=(",", ":"))
    return text if len(text) <= width else text[: width - 1] + "…"


def when(moment: datetime | str, date: bool = True) -> str:
    moment = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f" if date else "%H:%M:%S.%f")[:-3]


def history(
    ctx: typer.Context,
    aggregate_id: str = typer.Argument(..., help="Id of a show, seat, order or payment."),
    at_version: int | None = typer.Option(
        None, "--at-version", min=1, help="Show the state as of this version (default: head)."
    ),
) -> None:
    """An aggregate's events in order, and its state as of a version (time travel)."""
    out = ctx.obj.output
    ident = parse_id(aggregate_id, "aggregate")
    app = open_app(ctx.obj.aws)
    events = [e for e in app.events.get(ident) if isinstance(e, DomainEvent)]
    if not events:
        fail(Exit.NOT_FOUND, f"no aggregate {ident} in the event store")
    head = events[-1].originator_version
    version = head if at_version is None else at_version
    if version > head:
        fail(
            Exit.NOT_FOUND,
            f"aggregate {ident} has no version {version}: its head is version {head}",
        )
    try:
        aggregate: Aggregate = app.repository.get(ident, version=version)
    except AggregateNotFoundError:
        fail(Exit.NOT_FOUND, f"no aggregate {ident} in the event store")
    state = {
        "version": aggregate.version,
        "created_on": aggregate.created_on.isoformat(),
        "modified_on": aggregate.modified_on.isoformat(),
    }
    state |= {
        k: plain(v)
        for k, v in vars(aggregate).items()
        if not k.startswith("_") and k not in PRIVATE
    }
    kind = type(aggregate).__name__
    rows = [
        {
            "version": e.originator_version,
            "time": e.timestamp.isoformat(),
            "type": type(e).__name__,
            "payload": payload(e),
        }
        for e in events
    ]
    data = {
        "aggregate_id": str(ident),
        "aggregate_type": kind,
        "head_version": head,
        "events": rows,
        "state": state,
    }
    if out.as_json:
        out.emit(data)
        return
    event_table = table(
        f"{kind} {ident}: {len(events)} events",
        ["v", "time", "type", "payload"],
        [
            [r["version"], when(e.timestamp), r["type"], short(r["payload"], 10**6)]
            for r, e in zip(rows, events, strict=True)
        ],
    )
    event_table.columns[3].overflow = "fold"  # the whole payload: it is what one came for
    for number, row in enumerate(event_table.rows, start=1):
        row.style = "dim" if number > version else None  # after the state shown below
    console.print(event_table)
    title = f"state at version {version}" + (" (head)" if version == head else f" of {head}")
    console.print(
        table(
            title,
            ["attribute", "value"],
            [[k, json.dumps(v) if not isinstance(v, str) else v] for k, v in state.items()],
        )
    )


# Events that bring an aggregate of a show into being, and how to tell it belongs to the show.
JOINS = {get_topic(EVENT_TYPES[name]) for name in ("SeatOpened", "OrderPlaced", "PaymentStarted")}


class ShowLog:
    """Reads the ordered index from the start, keeping the events of one show's aggregates:
    the show, its seats and orders (by show_id), and those orders' payments (by order_id)."""

    def __init__(self, app: Ticketing, show_id: UUID) -> None:
        self.app = app
        self.members: dict[UUID, str] = {show_id: "show"}  # aggregate id -> label to print
        self.position = 0

    def read(self) -> tuple[int, list[dict[str, Any]]]:
        """The next page: (notifications read, rows of this show)."""
        page = self.app.recorder.select_notifications(start=self.position + 1, limit=PAGE)
        rows = []
        for n in page:
            self.position = n.id
            known = n.originator_id in self.members
            if not known and n.topic not in JOINS:
                continue  # decoding only what may concern the show keeps long reads quick
            event = cast(DomainEvent, self.app.mapper.to_domain_event(n))
            if not known and not self._joins(event):
                continue
            rows.append(
                {
                    "position": n.id,
                    "time": event.timestamp.isoformat(),
                    "type": type(event).__name__,
                    "aggregate": self.members[event.originator_id],
                    "aggregate_id": str(n.originator_id),
                    "aggregate_version": n.originator_version,
                    "payload": payload(event),
                }
            )
        return len(page), rows

    def _joins(self, event: Any) -> bool:
        ident = event.originator_id
        if getattr(event, "show_id", None) in self.members and hasattr(event, "label"):
            self.members[ident] = f"seat {event.label}"
        elif getattr(event, "show_id", None) in self.members:
            self.members[ident] = f"order {str(ident)[:8]}"
        elif getattr(event, "order_id", None) is not None and self._ours(event.order_id):
            self.members[ident] = f"payment {str(ident)[:8]}"
        else:
            return False
        return True

    def _ours(self, order_id: UUID) -> bool:
        """Whether an order is the show's: the index orders events per aggregate only, so a
        payment may come before its order; then the store tells."""
        if order_id not in self.members:
            try:
                show_id = self.app.get_order(order_id).show_id
            except UnknownOrder:
                return False
            if show_id not in self.members:
                return False
            self.members[order_id] = f"order {str(order_id)[:8]}"
        return True

    def until_head(self) -> Iterator[tuple[int, list[dict[str, Any]]]]:
        while True:
            count, rows = self.read()
            yield count, rows
            if count < PAGE:
                return


def log(
    ctx: typer.Context,
    show_id: str = typer.Argument(..., help="The show whose events to list."),
    start: int = typer.Option(1, "--from", min=1, help="First position in the index to print."),
    follow: bool = typer.Option(False, "--follow", "-f", help="Keep printing new events."),
) -> None:
    """A show's events from the ordered index, each aggregate's in version order."""
    out = ctx.obj.output
    ident = parse_id(show_id, "show")
    app = open_app(ctx.obj.aws)
    partitions = getattr(app.recorder, "partitions", 1)
    if partitions != 1:
        fail(Exit.FAILED, f"log reads a one-partition index; this one has {partitions} partitions")
    try:
        app.get_show(ident)
    except UnknownShow:
        fail(Exit.NOT_FOUND, f"no show {ident} in the event store")
    show_log = ShowLog(app, ident)
    rows: list[dict[str, Any]] = []
    try:
        quiet = out.as_json or not waiting()
        with Progress(console=errors, transient=True, disable=quiet) as progress:
            task = progress.add_task("reading the index", total=app.recorder.max_notification_id())
            for count, page in show_log.until_head():
                rows += [r for r in page if r["position"] >= start]
                progress.advance(task, count)
        if not follow:
            out.emit(
                rows,
                table(
                    f"show {ident}: {len(rows)} events",
                    ["id", "time", "type", "aggregate", "payload"],
                    [
                        [
                            r["position"],
                            when(r["time"], date=False),
                            r["type"],
                            r["aggregate"],
                            short(r["payload"], 60),
                        ]
                        for r in rows
                    ],
                ),
            )
            return
        if not out.as_json:
            console.print(f"following show {ident} (Ctrl-C stops)", style="bold")
        print_lines(rows, out.as_json)
        while True:
            time.sleep(POLL_SECONDS)
            while True:
                count, page = show_log.read()
                print_lines([r for r in page if r["position"] >= start], out.as_json)
                if count < PAGE:
                    break
    except KeyboardInterrupt:
        return  # Ctrl-C is how one stops following: a normal end


def print_lines(rows: list[dict[str, Any]], as_json: bool) -> None:
    """Followed events: one JSON object a line with --json, else one aligned text line each."""
    for r in rows:
        if as_json:
            print(json.dumps(r), flush=True)
        else:
            console.print(
                f"{r['position']:>7}  {r['time'][11:23]}  {r['type']:<18} "
                f"{r['aggregate']:<17} {short(r['payload'], 70)}",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command("history", help=operator_help(history))(history)
    app.command("log", help=operator_help(log))(log)
