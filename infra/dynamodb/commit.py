"""One atomic ``insert_events`` call, retried until it is decided.

Per aggregate one item: a Put of a new tip (conditional on absence) for an aggregate's first
events, else an UpdateItem appending to its tip (new versions must be above the head version);
when the tip is full, a Put of an archive item plus a Put of a fresh tip conditional on the head
not having moved. A tracking position is an UpdateItem conditional on rising. Nothing else: no
item that every save touches. One item is one conditional write; several are one
TransactWriteItems.

Long because the decision after a cancelled or unanswered write (conflict, full tip, our own
write applied) needs every part of the request it judges; split, each part would need them all.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from botocore.exceptions import ClientError
from eventsourcing.persistence import DataError, IntegrityError, OperationalError, StoredEvent

from infra import correlation
from infra.dynamodb.client import (
    AMBIGUOUS_ERRORS,
    TRANSIENT_CODES,
    UNSENT_ERRORS,
    call_with_retry,
)
from infra.dynamodb.items import (
    ITEM_LIMIT,
    MAX_TRANSACTION_ITEMS,
    TIP_LIMIT,
    TIP_SK,
    N,
    Packed,
    S,
    aggregate_pk,
    encode_id,
    event_size,
    pack,
    tracking_pk,
)
from infra.dynamodb.reads import read_aggregate
from infra.retry import Backoff, error_code

if TYPE_CHECKING:
    from eventsourcing.persistence import Tracking

TRANSACTION_BYTES_LIMIT = 4 * 1024 * 1024
REBUILDS_LIMIT = 200  # tips found full or present in a row before giving up
TRANSIENT_REASONS = frozenset(
    {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}
)
Batches = dict[UUID | str, list[StoredEvent]]


def group_by_aggregate(events: Sequence[StoredEvent]) -> Batches:
    """Each aggregate's new events, by version; a version repeated within the call is a conflict."""
    batches: Batches = {}
    for event in events:
        batches.setdefault(event.originator_id, []).append(event)
    for originator_id, batch in batches.items():
        batch.sort(key=lambda e: e.originator_version)
        versions = [e.originator_version for e in batch]
        if len(set(versions)) != len(versions):
            raise IntegrityError(f"Version repeated in one insert for {originator_id}: {versions}")
    return batches


@dataclass
class Commit:
    client: Any
    table: str
    app: str
    events: Sequence[StoredEvent]
    tracking: Tracking | None
    backoff: Backoff
    owner: str = ""  # application name that owns tracking positions
    full_tips: dict[UUID | str, dict[str, Any]] = field(default_factory=dict)
    existing: set[UUID | str] = field(default_factory=set)  # tips found present by a failed Put
    unknown_outcome: bool = False

    def __post_init__(self) -> None:
        self.batches = group_by_aggregate(self.events)
        self._check_limits()

    def _check_limits(self) -> None:
        for originator_id, batch in self.batches.items():
            size = sum(event_size(e) for e in batch)
            if size > ITEM_LIMIT - 4096:
                raise DataError(
                    f"{len(batch)} new events ({size} bytes) for aggregate {originator_id} "
                    "exceed a 400 KB DynamoDB item; save fewer events at once"
                )
        count = 2 * len(self.batches) + (1 if self.tracking else 0)
        if count > MAX_TRANSACTION_ITEMS:
            raise DataError(
                f"A save of {len(self.batches)} aggregates needs up to {count} transaction items; "
                f"DynamoDB allows {MAX_TRANSACTION_ITEMS}: save at most "
                f"{(MAX_TRANSACTION_ITEMS - 1) // 2} aggregates at once"
            )
        total = sum(event_size(e) for e in self.events)
        if total > TRANSACTION_BYTES_LIMIT:
            raise DataError(f"A save of {total} bytes exceeds DynamoDB's 4 MB transaction limit")

    def run(self) -> Batches:
        """Write, retrying what is transient; returns the batches written, by aggregate."""
        sleeps = self.backoff.sleeps()
        rebuilds = 0
        while True:
            items, roles = self._build()
            if not items:
                return self.batches
            try:
                self._write(items)
            except ClientError as e:
                code = error_code(e)
                if code in ("TransactionCanceledException", "ConditionalCheckFailedException"):
                    try:
                        decision = self._decide(e, roles)
                    except _AlreadyApplied:
                        return self.batches
                    if decision == "rebuild":
                        rebuilds += 1
                        if rebuilds > REBUILDS_LIMIT:
                            raise OperationalError("Tips kept changing; gave up") from e
                        continue
                elif code not in TRANSIENT_CODES:
                    raise
                self._sleep(sleeps, e)
            except AMBIGUOUS_ERRORS as e:
                # Maybe applied: a conflict on a later attempt is checked against what we wrote.
                self.unknown_outcome = True
                self._sleep(sleeps, e)
            except UNSENT_ERRORS as e:
                self._sleep(sleeps, e)
            else:
                return self.batches

    @property
    def created(self) -> set[UUID | str]:
        """The aggregates this commit brought into being (by a Put of their first tip)."""
        return {
            originator_id
            for originator_id, batch in self.batches.items()
            if batch[0].originator_version <= 1
            and originator_id not in self.existing
            and originator_id not in self.full_tips
        }

    def _write(self, items: list[dict[str, Any]]) -> None:
        if len(items) > 1:
            self.client.transact_write_items(TransactItems=items)
            return
        # One item: a plain conditional write, half the cost of a transaction.
        ((kind, request),) = items[0].items()
        if kind == "Put":
            self.client.put_item(**request)
        else:
            self.client.update_item(**request)

    @staticmethod
    def _sleep(sleeps: Any, cause: Exception) -> None:
        try:
            time.sleep(next(sleeps))
        except StopIteration:
            raise OperationalError(
                f"DynamoDB write still failing after retries: {cause}"
            ) from cause

    def _build(self) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
        items: list[dict[str, Any]] = []
        roles: list[tuple[str, Any]] = []
        for originator_id, batch in self.batches.items():
            full = self.full_tips.get(originator_id)
            if (
                full is None
                and batch[0].originator_version <= 1
                and originator_id not in self.existing
            ):
                # Most likely a new aggregate: a Put is cheaper than the list-appending update.
                items.append(self._new_tip(originator_id, batch))
                roles.append(("new", originator_id))
            elif full is None:
                items.append(self._append_to_tip(originator_id, batch))
                roles.append(("tip", originator_id))
            else:
                items.extend(self._move_tip(originator_id, batch, full))
                roles.extend([("moved", originator_id), ("moved", originator_id)])
        if self.tracking is not None:
            items.append(self._track(self.tracking))
            roles.append(("tracking", self.tracking))
        return items, roles

    def _tip_item(self, originator_id: UUID | str, batch: list[StoredEvent]) -> dict[str, Any]:
        item = {
            "pk": S(aggregate_pk(self.app, originator_id)),
            "sk": N(TIP_SK),
            "kind": S("tip"),
            "oid": S(encode_id(originator_id)),
            "v": N(batch[-1].originator_version),
            "sz": N(sum(event_size(e) for e in batch)),
            "bs": {"L": [pack(batch)]},
        }
        if cid := correlation.current():  # the request this write came of, for the stream
            item["cid"] = S(cid)
        return item

    def _new_tip(self, originator_id: UUID | str, batch: list[StoredEvent]) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table,
                "Item": self._tip_item(originator_id, batch),
                "ConditionExpression": "attribute_not_exists(pk)",
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _append_to_tip(self, originator_id: UUID | str, batch: list[StoredEvent]) -> dict[str, Any]:
        size = sum(event_size(e) for e in batch)
        # The tip's `cid` is its last write's: the stream image shows it with that write's batch.
        cid = correlation.current()
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": S(aggregate_pk(self.app, originator_id)), "sk": N(TIP_SK)},
                "UpdateExpression": (
                    "SET v = :last, bs = list_append(if_not_exists(bs, :nil), :bs), "
                    "sz = if_not_exists(sz, :zero) + :size"
                    + (", cid = :cid" if cid else " REMOVE cid")
                ),
                "ConditionExpression": (
                    "(attribute_not_exists(v) OR v < :first) "
                    "AND (attribute_not_exists(sz) OR sz <= :room)"
                ),
                "ExpressionAttributeValues": {
                    ":last": N(batch[-1].originator_version),
                    ":first": N(batch[0].originator_version),
                    ":nil": {"L": []},
                    ":bs": {"L": [pack(batch)]},
                    ":zero": N(0),
                    ":size": N(size),
                    ":room": N(TIP_LIMIT - size),
                    **({":cid": S(cid)} if cid else {}),
                },
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def _move_tip(
        self, originator_id: UUID | str, batch: list[StoredEvent], full: dict[str, Any]
    ) -> list[dict[str, Any]]:
        pk = aggregate_pk(self.app, originator_id)
        archive = {"pk": S(pk), "sk": N(Packed.from_item(full).versions[0]), "bs": full["bs"]}
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": archive,
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": self._tip_item(originator_id, batch),
                    "ConditionExpression": "v = :old AND v < :first",
                    "ExpressionAttributeValues": {
                        ":old": full["v"],
                        ":first": N(batch[0].originator_version),
                    },
                }
            },
        ]

    def _track(self, tracking: Tracking) -> dict[str, Any]:
        return {
            "Update": {
                "TableName": self.table,
                "Key": {"pk": S(tracking_pk(self.owner, tracking.application_name)), "sk": N(0)},
                "UpdateExpression": "SET n = :n",
                "ConditionExpression": "attribute_not_exists(n) OR n < :n",
                "ExpressionAttributeValues": {":n": N(tracking.notification_id)},
            }
        }

    def _decide(self, error: ClientError, roles: list[tuple[str, Any]]) -> str:
        """'rebuild' (a tip is full or present), 'transient', or raise IntegrityError."""
        reasons: list[dict[str, Any]]
        if error_code(error) == "ConditionalCheckFailedException":  # the one-item write
            reasons = [{"Code": "ConditionalCheckFailed", "Item": error.response.get("Item")}]
        else:
            reasons = list(error.response.get("CancellationReasons") or [])  # type: ignore[arg-type]
        failed = [
            (role, reason)
            for role, reason in zip(roles, reasons, strict=False)
            if reason.get("Code") == "ConditionalCheckFailed"
        ]
        if not failed:
            codes = {r.get("Code") for r in reasons} - {"None", None}
            if codes <= TRANSIENT_REASONS:
                return "transient"
            raise error
        rebuild = False
        for (kind, key), reason in failed:
            if kind == "tracking":
                self._conflict(f"Tracking position {key} is not above the stored one")
                continue
            old: dict[str, Any] | None = dict(reason.get("Item") or {}) or self._read_tip(key)
            first = self.batches[key][0].originator_version
            if old is not None and int(old["v"]["N"]) >= first:
                self._conflict(f"Version {first} of {key} conflicts: head is at {old['v']['N']}")
            if old is not None and kind == "new":
                self.existing.add(key)  # append to the tip that is there
            elif old is not None:  # the tip is full: move it to an archive item
                self.full_tips[key] = old
            rebuild = True
        return "rebuild" if rebuild else "transient"

    def _read_tip(self, originator_id: UUID | str) -> dict[str, Any] | None:
        item: dict[str, Any] | None = self._get_item(
            TableName=self.table,
            Key={"pk": S(aggregate_pk(self.app, originator_id)), "sk": N(TIP_SK)},
            ConsistentRead=True,
        ).get("Item")
        return item

    def _conflict(self, message: str) -> None:
        if self.unknown_outcome and self._applied_earlier():
            raise _AlreadyApplied()
        raise IntegrityError(message)

    def _applied_earlier(self) -> bool:
        """After an unknown outcome, check whether one of our own attempts was applied."""
        if not self.events:
            return self.tracking is not None and self._tracked() == self.tracking.notification_id
        # Applied if every aggregate holds exactly our events.
        for originator_id, batch in self.batches.items():
            stored = read_aggregate(
                self.client,
                self.table,
                self.app,
                originator_id,
                gt=batch[0].originator_version - 1,
                lte=batch[-1].originator_version,
            )
            if [(e.originator_version, e.topic, e.state) for e in stored] != [
                (e.originator_version, e.topic, e.state) for e in batch
            ]:
                return False
        return True

    def _tracked(self) -> int | None:
        assert self.tracking is not None
        item = self._get_item(
            TableName=self.table,
            ConsistentRead=True,
            Key={"pk": S(tracking_pk(self.owner, self.tracking.application_name)), "sk": N(0)},
        ).get("Item")
        return int(item["n"]["N"]) if item else None

    def _get_item(self, **kwargs: Any) -> Any:
        # Recovery reads follow throttling and timeouts, so they need the same retries.
        return call_with_retry(self.client.get_item, self.backoff, **kwargs)


class _AlreadyApplied(Exception):  # noqa: N818 - control flow, never escapes the recorder
    pass
