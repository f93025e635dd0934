"""Benchmark only (on PYTHONPATH for `bench.scale`'s processes): every DynamoDB call waits
BENCH_DYNAMODB_DELAY_MS more before it is sent, as a round trip to DynamoDB in a region would.

A botocore event hook on every DynamoDB and DynamoDB Streams client any process creates; the
ledger's own code knows nothing of it.
"""

import os
import time

_DELAY = float(os.environ.get("BENCH_DYNAMODB_DELAY_MS") or 0) / 1000


def _wait(**_: object) -> None:
    time.sleep(_DELAY)


if _DELAY:
    import botocore.session

    _create = botocore.session.Session.create_client

    def _create_client(self, service_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        client = _create(self, service_name, *args, **kwargs)
        if service_name in ("dynamodb", "dynamodbstreams"):
            client.meta.events.register(f"before-send.{service_name}", _wait)
        return client

    botocore.session.Session.create_client = _create_client
