"""Least privilege as data: which tables each handler reads or writes, granted in one place."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from aws_cdk import aws_dynamodb as ddb

from cdk.functions import ServiceFunction
from cdk.nag import arn_of, suppress
from cdk.storage import Storage


class Level(Enum):
    NONE = "none"
    READ = "read"
    READ_WRITE = "read-write"


@dataclass(frozen=True)
class Access:
    events: Level = Level.NONE
    index: Level = Level.NONE
    read_models: Level = Level.NONE
    charges: Level = Level.NONE


ACCESS: dict[str, Access] = {
    # Nothing: it decodes each stream record itself, and the event source grants the stream.
    "handlers.stream_forwarder.handler": Access(),
    # Builds the index; reads an aggregate's events from the table to fill a gap.
    "handlers.indexer.handler": Access(events=Level.READ, index=Level.READ_WRITE),
    # Reactions execute domain commands (saving events); payment also charges the gateway.
    "handlers.payment.handler": Access(events=Level.READ_WRITE, charges=Level.READ_WRITE),
    "handlers.reallocation.handler": Access(events=Level.READ_WRITE),
    # Fills an aggregate's gap from the event table; the views are its own.
    "handlers.read_models.handler": Access(events=Level.READ, read_models=Level.READ_WRITE),
    # Every consumer at once, on a schedule: the read models' and both reactions' grants.
    "handlers.catch_up.handler": Access(
        events=Level.READ_WRITE,
        index=Level.READ,
        read_models=Level.READ_WRITE,
        charges=Level.READ_WRITE,
    ),
    # Not the charges: only the local stack's /dev route reads them.
    "handlers.api.handler": Access(events=Level.READ_WRITE, read_models=Level.READ),
}


def grant_tables(storage: Storage, handler: str, fn: ServiceFunction) -> None:
    """Grant `handler`'s function exactly its row of `ACCESS`; an unknown handler is an error."""
    if handler not in ACCESS:
        raise KeyError(f"no table access defined for {handler!r}: add it to cdk/access.py")
    access = ACCESS[handler]
    _grant(storage, storage.events, access.events, fn)
    _grant(storage, storage.index, access.index, fn)
    for table in storage.read_models:
        _grant(storage, table, access.read_models, fn)
    _grant(storage, storage.charges, access.charges, fn)


def _grant(storage: Storage, table: ddb.Table, level: Level, fn: ServiceFunction) -> None:
    if level is Level.NONE:
        return
    if level is Level.READ:
        table.grant_read_data(fn.function)
    else:
        table.grant_read_write_data(fn.function)
    if any(table is t for t in storage.indexed):
        suppress(
            fn.role,
            "IAM5",
            "Queries by secondary index need index ARNs; the grant covers this table's own "
            "indexes (<table>/index/*) and no other table.",
            f"Resource::{arn_of(table)}/index/*",
        )
