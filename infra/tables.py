"""The read-model and gateway tables, as data: created locally by `ensure_tables` and by the CDK.

Every table has a string hash key ``pk``; a view's secondary indexes answer its other queries.
(The event table, with its numeric sort key and stream, is defined by `infra.dynamodb`.)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from infra.retry import error_code
from infra.settings import Settings


@dataclass(frozen=True)
class IndexSpec:
    name: str
    hash_key: str
    range_key: str


@dataclass(frozen=True)
class TableSpec:
    role: str  # the Settings field naming the table
    indexes: tuple[IndexSpec, ...] = ()

    def name(self, settings: Settings) -> str:
        return str(getattr(settings, self.role))


BY_SHOW = IndexSpec("by_show", "show_id", "label")  # a show's seats that have an item
# Sparse: only show items carry `listing` (always "shows"), written once per show, never by a
# seat's event. Newest first is a descending Query on `created_at`.
SHOWS_BY_TIME = IndexSpec("shows_by_time", "listing", "created_at")
BY_CUSTOMER = IndexSpec("by_customer", "customer_id", "placed_at")
SEAT_MAP = TableSpec("seat_map_table", (BY_SHOW, SHOWS_BY_TIME))
ORDERS = TableSpec("orders_table", (BY_CUSTOMER,))
PAYMENTS = TableSpec("payments_table")
CHARGES = TableSpec("charges_table")
# Each view has a twin: a rebuild fills the one that is not live (see infra.readmodels.catalog).
TWINS = {
    spec.role: TableSpec(f"{spec.role}_b", spec.indexes) for spec in (SEAT_MAP, ORDERS, PAYMENTS)
}
TABLES: tuple[TableSpec, ...] = (SEAT_MAP, ORDERS, PAYMENTS, *TWINS.values(), CHARGES)


def create_request(spec: TableSpec, name: str) -> dict[str, Any]:
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.indexes:
        request["GlobalSecondaryIndexes"] = [_index_request(index) for index in spec.indexes]
    keys = ["pk", *(k for index in spec.indexes for k in (index.hash_key, index.range_key))]
    request["AttributeDefinitions"] = [
        {"AttributeName": k, "AttributeType": "S"} for k in dict.fromkeys(keys)
    ]
    return request


def _index_request(index: IndexSpec) -> dict[str, Any]:
    return {
        "IndexName": index.name,
        "KeySchema": [
            {"AttributeName": index.hash_key, "KeyType": "HASH"},
            {"AttributeName": index.range_key, "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
    }


def ensure_tables(client: Any, settings: Settings) -> None:
    """Create the tables that do not exist yet (local runs; AWS gets them from the CDK)."""
    for spec in TABLES:
        name = spec.name(settings)
        request = create_request(spec, name)
        try:
            client.create_table(**request)
        except ClientError as e:
            if error_code(e) != "ResourceInUseException":
                raise
            _add_missing_indexes(client, request)
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )


def _add_missing_indexes(client: Any, request: dict[str, Any]) -> None:
    """A table made by an older version lacks indexes added since: add them (one at a time,
    as DynamoDB allows). Items written before stay out of a new index until a rebuild."""
    table = client.describe_table(TableName=request["TableName"])["Table"]
    present = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
    for index in request.get("GlobalSecondaryIndexes", []):
        if index["IndexName"] not in present:
            client.update_table(
                TableName=request["TableName"],
                AttributeDefinitions=request["AttributeDefinitions"],
                GlobalSecondaryIndexUpdates=[{"Create": index}],
            )
            _wait_for_indexes(client, request["TableName"])


def _wait_for_indexes(client: Any, name: str, timeout: float = 300.0) -> None:
    """Until every index is ACTIVE: DynamoDB Local fails writes to a table whose new index is
    still CREATING (InternalFailure), and DynamoDB takes one index update at a time."""
    deadline = time.monotonic() + timeout
    while True:
        table = client.describe_table(TableName=name)["Table"]
        if all(i["IndexStatus"] == "ACTIVE" for i in table.get("GlobalSecondaryIndexes", [])):
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"{name}: secondary indexes not active after {timeout:.0f} s")
        time.sleep(0.5)
