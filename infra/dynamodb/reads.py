"""Strongly consistent reads of the event table shared by the recorders and the commit."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from infra.dynamodb.client import call_with_retry
from infra.dynamodb.items import Packed, S, aggregate_pk
from infra.retry import Backoff


def paged_items(
    operation: Callable[..., Any], backoff: Backoff | None = None, **kwargs: Any
) -> Iterator[dict[str, Any]]:
    """Items of a Query or Scan (``client.query`` / ``client.scan``), page by page."""
    backoff = backoff or Backoff()
    while True:
        page = call_with_retry(operation, backoff, **kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def query_items(client: Any, backoff: Backoff, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Items of a strongly consistent Query, page by page."""
    return paged_items(client.query, backoff, ConsistentRead=True, **kwargs)


def read_aggregate(
    client: Any,
    table: str,
    app: str,
    originator_id: UUID | str,
    *,
    gt: int | None = None,
    lte: int | None = None,
    desc: bool = False,
    limit: int | None = None,
    backoff: Backoff | None = None,
) -> list[StoredEvent]:
    """An aggregate's events from its tip and archive items."""
    forward = gt is None and not desc  # from the oldest archive item; else from the tip back
    items = query_items(
        client,
        backoff or Backoff(),
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": S(aggregate_pk(app, originator_id))},
        ScanIndexForward=forward,
    )
    found: list[StoredEvent] = []
    for item in items:
        packed = Packed.from_item(item)
        events = [
            e
            for e in packed.events(originator_id)
            if (gt is None or e.originator_version > gt)
            and (lte is None or e.originator_version <= lte)
        ]
        found.extend(events if forward else reversed(events))
        oldest = packed.versions[0]
        if forward and limit is not None and len(found) >= limit:
            break
        if forward and lte is not None and packed.versions[-1] >= lte:
            break
        if not forward and gt is not None and oldest <= gt:
            break  # every older item holds versions at or below gt
        if not forward and desc and gt is None and limit is not None and len(found) >= limit:
            break
    if not forward and not desc:
        found.reverse()
    return found[:limit] if limit is not None else found
