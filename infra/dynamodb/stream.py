"""The event table's stream, read as what each save committed: one record, one aggregate's batch.

A record of a tip (``kind`` = "tip") carries the whole tip, and the last batch in it is exactly
what that write added (each write appends one). Archive items, tracking positions and snapshots
are not events to publish: they read as None. Records come as Lambda delivers them (typed JSON,
binary values base64-encoded).
"""

from __future__ import annotations

import base64
from typing import Any

from infra.dynamodb.index import Committed
from infra.dynamodb.items import app_of, decode_id, unpack_batch


def is_tip(record: dict[str, Any]) -> bool:
    return bool(record.get("dynamodb", {}).get("NewImage", {}).get("kind") == {"S": "tip"})


def committed(record: dict[str, Any]) -> tuple[str, Committed] | None:
    """(application, the batch a tip's write added), or None for any other record."""
    if not is_tip(record):
        return None
    image = record["dynamodb"]["NewImage"]
    originator_id = decode_id(image["oid"]["S"])
    blob = base64.b64decode(image["bs"]["L"][-1]["B"], validate=True)
    events = unpack_batch(originator_id, blob)
    return app_of(image["pk"]["S"]), Committed(
        originator_id, events, starts=record.get("eventName") == "INSERT"
    )
