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

if os.environ.get("BENCH_CALLS_DIR"):  # count this process's AWS calls, written at exit
    import atexit
    import collections
    import json

    import botocore.session

    _calls: collections.Counter[str] = collections.Counter()
    _create_counted = botocore.session.Session.create_client

    def _count(event_name: str, **_: object) -> None:
        _calls[event_name.split(".", 1)[1]] += 1

    def _create_counting_client(self, service_name, *args, **kwargs):  # type: ignore[no-untyped-def]
        client = _create_counted(self, service_name, *args, **kwargs)
        client.meta.events.register(f"before-send.{service_name}", _count)
        return client

    botocore.session.Session.create_client = _create_counting_client

    def _dump() -> None:
        path = os.path.join(os.environ["BENCH_CALLS_DIR"], f"{os.getpid()}.json")
        with open(path, "w") as out:
            json.dump({"argv": os.sys.argv, "calls": _calls}, out)

    atexit.register(_dump)
