"""The environment variables the stack sets: exactly the names `infra.settings` reads."""

from __future__ import annotations

from infra.settings import ENV_VARS

__all__ = ["ENV_VARS", "FIXED", "powertools"]

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
