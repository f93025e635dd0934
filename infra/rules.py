"""The bus's rules, as data: the local bus (moto) and the CDK stack are both built from `RULES`.

Each rule sends the events its consumer needs to one SQS queue (with a dead-letter queue),
drained by one Lambda handler. Patterns match on the envelope's ``source`` and ``detail-type``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from domain.contract import SOURCE
from projections.reactions import PAYMENT, REALLOCATION
from projections.views import READ_MODEL_TYPES


@dataclass(frozen=True)
class RuleSpec:
    name: str
    event_pattern: Mapping[str, Any]
    queue_name: str
    handler: str = ""  # "module.function" of the queue's consumer


def _pattern(detail_types: list[str]) -> dict[str, Any]:
    return {"source": [SOURCE], "detail-type": sorted(detail_types)}


RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "payment",
        _pattern(list(PAYMENT.detail_types)),
        "seatledger-payment",
        "handlers.payment.handler",
    ),
    RuleSpec(
        "reallocation",
        _pattern(list(REALLOCATION.detail_types)),
        "seatledger-reallocation",
        "handlers.reallocation.handler",
    ),
    RuleSpec(
        "read-models",
        _pattern(list(READ_MODEL_TYPES)),
        "seatledger-read-models",
        "handlers.read_models.handler",
    ),
)
