"""Published events that break their schema: generated breakages, all refused with a reason."""

from __future__ import annotations

import json
import random
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from domain.contract import DETAILS, UnknownDetailType, parse_detail

CASES_PER_TYPE = 60
VALID = {
    "application": "Ticketing",
    "aggregate_id": str(uuid.uuid4()),
    "aggregate_version": 2,
    "event_id": str(uuid.uuid4()),
    "occurred_at": datetime(2026, 11, 23, tzinfo=UTC).isoformat(),
    "schema_version": 1,
    "test": True,
    "payload": None,
}
_NOT_A_COUNT: list[Any] = [None, "", -1, 0, 2**70, 1.5, [], {}, "seven"]
_NOT_AN_ID: list[Any] = [None, "", 7, [], {}, "not-a-uuid"]
JUNK_FOR: dict[str, list[Any]] = {
    "aggregate_version": _NOT_A_COUNT,
    "schema_version": _NOT_A_COUNT,
    "aggregate_id": _NOT_AN_ID,
    "event_id": _NOT_AN_ID,
    "occurred_at": [None, "", 0, -1, "yesterday", "2026-13-01T00:00:00Z", []],
    "application": [None, "", "x" * 101, 7, [], {}],
}


def broken(rng: random.Random) -> dict[str, Any]:
    detail = dict(VALID)
    match rng.randrange(4):
        case 0:  # a required field missing
            del detail[rng.choice([k for k in VALID if k not in ("test", "payload")])]
        case 1:  # a field of the wrong type or out of range
            key = rng.choice(
                [
                    "aggregate_id",
                    "aggregate_version",
                    "event_id",
                    "occurred_at",
                    "schema_version",
                    "application",
                ]
            )
            detail[key] = rng.choice(JUNK_FOR[key])
        case 2:  # a field the contract does not have
            detail[rng.choice(["card_token", "extra", "Payload"])] = "x"
        case _:  # a payload of the wrong shape
            detail["payload"] = rng.choice([{"nonsense": 1}, [1, 2], "text", 7])
    return detail


@pytest.mark.parametrize("detail_type", sorted(DETAILS))
def test_every_breakage_is_refused_with_its_field(detail_type: str) -> None:
    rng = random.Random(detail_type)
    refused = 0
    for _ in range(CASES_PER_TYPE):
        detail = broken(rng)
        with pytest.raises(ValidationError) as caught:
            parse_detail(detail_type, json.dumps(detail))
        assert caught.value.errors()[0]["loc"], "the refusal names where"
        refused += 1
    assert refused == CASES_PER_TYPE


def test_the_valid_base_is_accepted_and_unknown_types_refused() -> None:
    assert parse_detail("OrderAllocated", VALID).aggregate_version == 2
    with pytest.raises(UnknownDetailType):
        parse_detail("SeatReserved", VALID)
