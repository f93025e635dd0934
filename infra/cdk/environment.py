"""The environment variables the stack sets: exactly the names `infra.settings` reads."""

from __future__ import annotations

# Settings field -> variable. `Settings` keeps these names inside `from_env`, so a test checks
# this table against it rather than trusting a second copy.
ENV_VARS: dict[str, str] = {
    "event_table": "DYNAMODB_TABLE",
    "seat_map_table": "SEAT_MAP_TABLE",
    "orders_table": "ORDERS_TABLE",
    "payments_table": "PAYMENTS_TABLE",
    "charges_table": "CHARGES_TABLE",
    "event_bus": "EVENT_BUS_NAME",
    "dead_letter_queue_url": "DEAD_LETTER_QUEUE_URL",
}

# Tables come from the stack, never from the code; and the library's default persistence is
# in-memory, so every function names the DynamoDB module explicitly.
FIXED: dict[str, str] = {
    "CREATE_TABLE": "no",
    "PERSISTENCE_MODULE": "infra.dynamodb",
}


def powertools(service: str, log_level: str = "INFO") -> dict[str, str]:
    """Powertools Logger, Tracer and Metrics are configured only through these."""
    return {
        "POWERTOOLS_SERVICE_NAME": service,
        "POWERTOOLS_METRICS_NAMESPACE": "seatledger",
        "POWERTOOLS_LOG_LEVEL": log_level,
        # Responses can carry payment tokens and customer ids: keep them out of X-Ray metadata.
        "POWERTOOLS_TRACER_CAPTURE_RESPONSE": "false",
    }
