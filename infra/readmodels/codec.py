"""Plain JSON-like items <-> DynamoDB's typed JSON (numbers come back as int, never Decimal)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_to = TypeSerializer()
_from = TypeDeserializer()


def to_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _to.serialize(v) for k, v in item.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | set):
        return [_plain(v) for v in value]
    return value


def from_ddb(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(_from.deserialize(v)) for k, v in item.items()}
