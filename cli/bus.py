"""`seatledger publish`, `schemas export` and `bus replay`: the bus, schema-checked.

Long: `publish`, `schemas export` and `bus replay` share the bus's schema checks and its
clients.
"""

from __future__ import annotations

import json
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import typer
from pydantic import ValidationError

from cli.common import Exit, errors, fail, help_of, operator_help, table, use_stack
from domain.contract import DETAILS, EVENT_TYPES, SOURCE, event_id_for
from infra.publisher import MAX_REQUEST_BYTES
from infra.settings import Settings
from infra.untrusted import Unreadable, loads

MAX_DETAIL_BYTES = MAX_REQUEST_BYTES  # no bigger detail fits in an EventBridge entry anyway

# Field names -> realistic example values, so `--example` reads like a real event.
HINTS: dict[str, Any] = {
    "application": "Ticketing",
    "name": "north",
    "row": "A",
    "seats": "1-5",
    "label": "A-1",
    "seat_label": "A-1",
    "seat_labels": ["A-1"],
    "customer_id": "alice",
    "reason": "card_declined",
    "idempotency_key": "alice-1",
    "price_cents": 5000,
    "amount_cents": 5000,
    "seat_count": 5,
}
REPLAY_NOTE = (
    "EventBridge does not say how many archived events fall in a window: archive_events counts "
    "the whole archive. The local bus (moto) ignores the window and the rule filter: it replays "
    "the whole archive to every rule that matches, at once."
)


def _read(detail: str) -> Any:
    """--detail's JSON: inline text, @FILE, or @- for stdin; at most MAX_DETAIL_BYTES (one
    byte more is read to tell, never the rest of an endless file) and MAX_DEPTH deep."""
    source = "--detail"
    if detail.startswith("@"):
        source = detail[1:] or "-"
        try:
            if source == "-":
                raw = sys.stdin.buffer.read(MAX_DETAIL_BYTES + 1)
            else:
                with Path(source).open("rb") as file:
                    raw = file.read(MAX_DETAIL_BYTES + 1)
            detail = raw.decode()
        except (OSError, UnicodeDecodeError) as e:
            fail(Exit.INVALID, f"cannot read {source}: {getattr(e, 'strerror', None) or e}")
    if len(detail.encode()) > MAX_DETAIL_BYTES:
        fail(Exit.INVALID, f"{source} is over {MAX_DETAIL_BYTES} bytes: nothing was sent")
    try:
        return loads(detail)
    except Unreadable as e:
        fail(Exit.INVALID, f"{source} is not valid JSON: {e}")


def _sample(schema: dict[str, Any], defs: dict[str, Any], field: str = "") -> Any:
    """A value `schema` accepts: a tiny generator over pydantic's JSON Schema."""
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, field)
    if "anyOf" in schema:
        return _sample(next(s for s in schema["anyOf"] if s.get("type") != "null"), defs, field)
    if "enum" in schema:
        return schema["enum"][0]
    if field in HINTS:
        return HINTS[field]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "object":
        return {k: _sample(v, defs, k) for k, v in schema.get("properties", {}).items()}
    if kind == "array":
        return [_sample(schema.get("items", {}), defs, field)]
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    if fmt == "uuid":
        return str(uuid4())
    return datetime.now(UTC).isoformat() if fmt == "date-time" else "example"


def example(detail_type: str) -> dict[str, Any]:
    """A valid, coherent test detail of `detail_type` (checked against its model)."""
    schema = DETAILS[detail_type].model_json_schema()
    data: dict[str, Any] = _sample(schema, schema.get("$defs", {}))
    data.update(
        aggregate_version=1,
        test=True,
        event_id=str(event_id_for(data["aggregate_id"], 1)),
        schema_version=getattr(EVENT_TYPES[detail_type], "class_version", 1),
    )
    DETAILS[detail_type].model_validate(data)
    return data


def publish(
    ctx: typer.Context,
    detail_type: str = typer.Argument(..., help="The event's detail-type, e.g. OrderAllocated."),
    detail: str | None = typer.Option(
        None, "--detail", "-d", help="The detail as JSON text, @FILE, or @- for stdin."
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate and show the entry only."),
    show_example: bool = typer.Option(
        False, "--example", help="Print a valid example detail of DETAIL_TYPE to start from."
    ),
) -> None:
    """Put one test event on the bus, after checking its detail against the type's schema.

    The detail gets "test": true: read models never apply it and the reactions ignore it
    (unless ACCEPT_TEST_EVENTS is set), so it can never charge a card. Nothing is sent when
    the detail is invalid.
    """
    out = ctx.obj.output
    if detail_type not in DETAILS:
        fail(Exit.INVALID, f"unknown detail-type {detail_type!r}; known: {', '.join(DETAILS)}")
    if show_example:
        out.emit(example(detail_type))
        return
    if detail is None:
        fail(Exit.USAGE, "give --detail JSON|@FILE (`--example` prints one to start from)")
    data = _read(detail)
    if not isinstance(data, dict):
        fail(Exit.INVALID, "the detail must be a JSON object")
    if data.setdefault("test", True) is not True:
        fail(Exit.INVALID, "test: events published by hand are always test events; drop it")
    try:
        parsed = DETAILS[detail_type].model_validate(data)
    except ValidationError as e:
        problems = [
            {"field": ".".join(map(str, err["loc"])), "reason": err["msg"]} for err in e.errors()
        ]
        if out.as_json:
            out.emit({"sent": False, "errors": problems})
        for p in problems:
            errors.print(f"  [bold]{p['field']}[/]: {p['reason']}")
        fail(Exit.INVALID, f"the detail breaks the {detail_type} schema: nothing was sent")
    text = parsed.model_dump_json()
    if len(text.encode()) + len(SOURCE) + len(detail_type) > MAX_REQUEST_BYTES:
        fail(Exit.INVALID, "the entry is over EventBridge's 256 KB limit: nothing was sent")
    if not dry_run:
        use_stack(ctx.obj.aws)  # before Settings: it sets the stack's environment
    entry = {
        "Source": SOURCE,
        "DetailType": detail_type,
        "Detail": text,
        "EventBusName": Settings.from_env().event_bus,
        "Time": parsed.occurred_at,
    }
    if dry_run:
        shown = {**entry, "Detail": json.loads(text), "Time": parsed.occurred_at.isoformat()}
        out.emit({"sent": False, "entry": shown} if out.as_json else shown)
        errors.print("dry run: the detail is valid; nothing was sent")
        return
    import boto3

    answer = boto3.client("events").put_events(Entries=[entry])
    sent = answer["Entries"][0]
    if answer.get("FailedEntryCount"):
        fail(
            Exit.FAILED,
            f"EventBridge refused it: {sent.get('ErrorCode')}: {sent.get('ErrorMessage')}",
        )
    result = {
        "sent": True,
        "event_id": sent["EventId"],
        "detail_type": detail_type,
        "bus": entry["EventBusName"],
        "test": True,
    }
    out.emit(
        result,
        f"published test event [bold]{detail_type}[/] on bus {result['bus']}: "
        f"EventBridge id {result['event_id']}",
    )


def _draft4(node: Any) -> Any:
    """pydantic's 2020-12 schema in draft-04 terms: enum not const, boolean exclusive bounds."""
    if isinstance(node, list):
        return [_draft4(n) for n in node]
    if not isinstance(node, dict):
        return node
    node = {k: _draft4(v) for k, v in node.items()}
    if "const" in node:
        node["enum"] = [node.pop("const")]
    for bound, limit in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[limit], node[bound] = node[bound], True
    if "$ref" in node and len(node) > 1:  # draft-04 ignores keywords beside a $ref
        node = {"allOf": [{"$ref": node.pop("$ref")}], **node}
    return node


def registry_schema(detail_type: str) -> dict[str, Any]:
    """The whole EventBridge event of `detail_type`, as the schema registry's JSONSchemaDraft4."""
    detail = DETAILS[detail_type].model_json_schema(ref_template="#/definitions/{model}")
    definitions = {**detail.pop("$defs", {}), f"{detail_type}Detail": detail}
    text = {"type": "string"}
    return {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "title": detail_type,
        "description": f"{SOURCE} {detail_type} event; payload null when it was too big to send",
        "x-amazon-events-source": SOURCE,
        "x-amazon-events-detail-type": detail_type,
        "type": "object",
        "required": ["detail-type", "source", "detail"],
        "properties": {
            "version": text,
            "id": text,
            "account": text,
            "region": text,
            "time": {"type": "string", "format": "date-time"},
            "resources": {"type": "array", "items": text},
            "source": {"type": "string", "enum": [SOURCE]},
            "detail-type": {"type": "string", "enum": [detail_type]},
            "detail": {"$ref": f"#/definitions/{detail_type}Detail"},
        },
        "definitions": _draft4(definitions),
    }


def export(
    ctx: typer.Context, directory: Path = typer.Argument(..., help="Where to write (created).")
) -> None:
    """Write each detail-type's JSON Schema (draft-04, for the EventBridge schema registry's
    JSONSchemaDraft4 type) to DIR/seatledger.ticketing@TYPE.json."""
    paths = {name: directory / f"{SOURCE}@{name}.json" for name in sorted(DETAILS)}
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, path in paths.items():
            path.write_text(json.dumps(registry_schema(name), indent=2) + "\n")
    except OSError as e:
        fail(Exit.FAILED, f"cannot write to {directory}: {e.strerror or e}")
    shown = table(
        f"JSON Schemas (draft-04) written to {directory}",
        ["detail-type", "file"],
        [[name, path.name] for name, path in paths.items()],
    )
    ctx.obj.output.emit([{"detail_type": n, "path": str(p)} for n, p in paths.items()], shown)


def _when(value: str, option: str) -> datetime:
    try:
        moment = datetime.now(UTC) if value == "now" else datetime.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time", param_hint=option) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _find_rule(events: Any, bus: str, rule: str) -> str:
    """The ARN of rule `rule`: its name, its RuleSpec name (CDK names rules itself), or an ARN."""
    found = [
        r
        for page in events.get_paginator("list_rules").paginate(EventBusName=bus)
        for r in page["Rules"]
        if not r.get("ManagedBy")
    ]
    for r in found:
        if rule in (r["Name"], r["Arn"]) or r.get("Description", "").startswith(
            f"seatledger {rule}:"
        ):
            return str(r["Arn"])
    fail(
        Exit.NOT_FOUND,
        f"no rule {rule!r} on bus {bus}; rules: " + ", ".join(r["Name"] for r in found),
    )


def replay(
    ctx: typer.Context,
    start: str = typer.Option(..., "--from", help="ISO 8601 time (UTC if no offset) or now."),
    end: str = typer.Option("now", "--to", help="ISO 8601 time (UTC if no offset) or now."),
    rule: str = typer.Option(
        "read-models",
        "--rule",
        help="The rule to replay to (name or ARN). Default read-models: "
        "rebuilding views is the usual reason, and they apply each event once whatever arrives. "
        "Replaying to payment or reallocation is safe too (their commands re-check state and "
        "payment ids are idempotency keys) but only re-runs work already done.",
    ),
    wait: float = typer.Option(900, "--timeout", help="Seconds to wait for the replay."),
) -> None:
    """Replay the bus's EventBridge archive (AWS's own replay) to one rule, and wait for it."""
    from botocore.exceptions import ClientError

    window = _when(start, "--from"), min(_when(end, "--to"), datetime.now(UTC))
    if window[0] >= window[1]:
        raise typer.BadParameter("--from must be before --to (and the past)", param_hint="--from")
    stack = use_stack(ctx.obj.aws)
    import boto3

    events = boto3.client("events")
    try:
        bus_arn = (
            stack.get("bus_arn")
            or events.describe_event_bus(Name=Settings.from_env().event_bus)["Arn"]
        )
        names = (
            [stack["archive_arn"].rsplit("/", 1)[-1]]
            if "archive_arn" in stack
            else [
                a["ArchiveName"]
                for a in events.list_archives(EventSourceArn=bus_arn)["Archives"]
                if a["State"] == "ENABLED"
            ]
        )
        if not names:
            fail(Exit.NOT_FOUND, f"bus {bus_arn} has no enabled archive")
        archive = events.describe_archive(ArchiveName=names[0])
        rule_arn = _find_rule(events, bus_arn.rsplit("/", 1)[-1], rule)
        rule = rule_arn.rsplit("/", 1)[-1]  # replay names allow [.-_A-Za-z0-9], 64 at most
        name = f"seatledger-{re.sub(r'[^.A-Za-z0-9_-]', '-', rule)[:30]}-{uuid4().hex[:12]}"
        events.start_replay(
            ReplayName=name,
            EventSourceArn=archive["ArchiveArn"],
            EventStartTime=window[0],
            EventEndTime=window[1],
            Destination={"Arn": bus_arn, "FilterArns": [rule_arn]},
        )
        deadline, state = time.monotonic() + wait, {}
        with errors.status(f"replaying {archive['ArchiveName']} to {rule}..."):
            while time.monotonic() < deadline:
                state = events.describe_replay(ReplayName=name)
                if state["State"] in ("COMPLETED", "FAILED", "CANCELLED"):
                    break
                time.sleep(1)
    except ClientError as e:
        fail(Exit.FAILED, f"EventBridge refused: {e.response['Error'].get('Message', e)}")
    result = {
        "replay": name,
        "state": state.get("State", "UNKNOWN"),
        "rule": rule,
        "rule_arn": rule_arn,
        "from": window[0].isoformat(),
        "to": window[1].isoformat(),
        "archive": archive["ArchiveName"],
        "archive_events": archive.get("EventCount"),
        "reason": state.get("StateReason"),
        "note": REPLAY_NOTE,
    }
    shown = table(
        "bus replay", ["", ""], [[k, v] for k, v in result.items() if v is not None and k != "note"]
    )
    shown.show_header, shown.caption, shown.caption_justify = False, REPLAY_NOTE, "left"
    ctx.obj.output.emit(result, shown)
    if result["state"] in ("STARTING", "RUNNING"):
        fail(
            Exit.FAILED,
            f"replay {name} still running after {wait:g}s: see "
            f"`aws events describe-replay --replay-name {name}`",
        )
    if result["state"] != "COMPLETED":
        fail(Exit.FAILED, f"replay {name} ended {result['state']}: {result['reason'] or ''}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the app."""
    app.command(help=operator_help(publish))(publish)
    schemas = typer.Typer(help="The bus contract's JSON Schemas.", no_args_is_help=True)
    schemas.command("export", help=help_of(export))(export)
    app.add_typer(schemas, name="schemas")
    bus = typer.Typer(help="The EventBridge bus: archive replay.", no_args_is_help=True)
    bus.command("replay", help=operator_help(replay))(replay)
    app.add_typer(bus, name="bus")
