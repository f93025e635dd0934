"""The event table, its ordered index, the read-model tables and the gateway's charges table."""

from __future__ import annotations

from typing import Any

from aws_cdk import RemovalPolicy
from aws_cdk import aws_dynamodb as ddb
from constructs import Construct

from infra.tables import CHARGES, TABLES, TableSpec, create_request

_TYPES = {
    "S": ddb.AttributeType.STRING,
    "N": ddb.AttributeType.NUMBER,
    "B": ddb.AttributeType.BINARY,
}
_RECOVERY = ddb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)


class Storage(Construct):
    """Every table of the ledger. Names are left to CloudFormation; functions get them by env."""

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        # Same shape as infra.dynamodb.client.ensure_table, plus what production needs.
        self.events = ddb.Table(
            self,
            "Events",
            partition_key=ddb.Attribute(name="pk", type=ddb.AttributeType.STRING),
            sort_key=ddb.Attribute(name="sk", type=ddb.AttributeType.NUMBER),
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            stream=ddb.StreamViewType.NEW_IMAGE,
            point_in_time_recovery_specification=_RECOVERY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        # It holds only what the event table holds, but rebuilt from the tips it would put the
        # events at other positions, which consumers track: kept like the events. No stream.
        self.index = ddb.Table(
            self,
            "Index",
            partition_key=ddb.Attribute(name="pk", type=ddb.AttributeType.STRING),
            sort_key=ddb.Attribute(name="sk", type=ddb.AttributeType.NUMBER),
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=_RECOVERY,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.indexed: list[ddb.Table] = []  # tables with a secondary index
        self.by_role: dict[str, ddb.Table] = {spec.role: self._table(spec) for spec in TABLES}
        self.charges = self.by_role[CHARGES.role]
        self.read_models = [t for role, t in self.by_role.items() if role != CHARGES.role]

    def _table(self, spec: TableSpec) -> ddb.Table:
        """A table from the same create request `ensure_tables` sends to DynamoDB Local."""
        request = create_request(spec, spec.role)
        if request["BillingMode"] != "PAY_PER_REQUEST":
            raise ValueError(f"{spec.role}: only on-demand tables are supported")
        types = {
            a["AttributeName"]: _TYPES[a["AttributeType"]] for a in request["AttributeDefinitions"]
        }
        hash_key, range_key = _keys(request["KeySchema"], types)
        # The charges table is the gateway's record of money taken: as precious as the events.
        # Read models can be rebuilt from the index, so they go with the stack.
        precious = spec is CHARGES
        table = ddb.Table(
            self,
            "".join(part.title() for part in spec.role.removesuffix("_table").split("_")),
            partition_key=hash_key,
            sort_key=range_key,
            billing_mode=ddb.BillingMode.PAY_PER_REQUEST,
            point_in_time_recovery_specification=_RECOVERY,
            deletion_protection=precious,
            removal_policy=RemovalPolicy.RETAIN if precious else RemovalPolicy.DESTROY,
        )
        for index in request.get("GlobalSecondaryIndexes", []):
            index_hash, index_range = _keys(index["KeySchema"], types)
            table.add_global_secondary_index(
                index_name=index["IndexName"],
                partition_key=index_hash,
                sort_key=index_range,
                projection_type=ddb.ProjectionType[index["Projection"]["ProjectionType"]],
            )
            self.indexed.append(table)
        return table


def _keys(
    schema: list[dict[str, Any]], types: dict[str, ddb.AttributeType]
) -> tuple[ddb.Attribute, ddb.Attribute | None]:
    by_kind = {k["KeyType"]: k["AttributeName"] for k in schema}
    hash_name, range_name = by_kind["HASH"], by_kind.get("RANGE")
    hash_key = ddb.Attribute(name=hash_name, type=types[hash_name])
    range_key = (
        None if range_name is None else ddb.Attribute(name=range_name, type=types[range_name])
    )
    return hash_key, range_key
