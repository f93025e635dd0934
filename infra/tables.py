"""The read-model and gateway tables, as data: created locally by `ensure_tables` and by the CDK.

Every table has a string hash key ``pk``; a view's secondary index answers its second query.
(The event table, with its numeric sort key and stream, is defined by `infra.dynamodb`.)
"""

from __future__ import annotations

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
    index: IndexSpec | None = None

    def name(self, settings: Settings) -> str:
        return str(getattr(settings, self.role))


SEAT_MAP = TableSpec("seat_map_table", IndexSpec("by_show", "show_id", "label"))
ORDERS = TableSpec("orders_table", IndexSpec("by_customer", "customer_id", "placed_at"))
PAYMENTS = TableSpec("payments_table")
CHARGES = TableSpec("charges_table")
# Each view has a twin: a replay fills the one that is not live (see infra.readmodels.catalog).
TWINS = {
    spec.role: TableSpec(f"{spec.role}_b", spec.index) for spec in (SEAT_MAP, ORDERS, PAYMENTS)
}
TABLES: tuple[TableSpec, ...] = (SEAT_MAP, ORDERS, PAYMENTS, *TWINS.values(), CHARGES)


def create_request(spec: TableSpec, name: str) -> dict[str, Any]:
    attributes = [{"AttributeName": "pk", "AttributeType": "S"}]
    request: dict[str, Any] = {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "BillingMode": "PAY_PER_REQUEST",
    }
    if spec.index is not None:
        index = spec.index
        attributes += [
            {"AttributeName": index.hash_key, "AttributeType": "S"},
            {"AttributeName": index.range_key, "AttributeType": "S"},
        ]
        request["GlobalSecondaryIndexes"] = [
            {
                "IndexName": index.name,
                "KeySchema": [
                    {"AttributeName": index.hash_key, "KeyType": "HASH"},
                    {"AttributeName": index.range_key, "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ]
    request["AttributeDefinitions"] = attributes
    return request


def ensure_tables(client: Any, settings: Settings) -> None:
    """Create the tables that do not exist yet (local runs; AWS gets them from the CDK)."""
    for spec in TABLES:
        name = spec.name(settings)
        try:
            client.create_table(**create_request(spec, name))
        except ClientError as e:
            if error_code(e) != "ResourceInUseException":
                raise
        client.get_waiter("table_exists").wait(
            TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 60}
        )
