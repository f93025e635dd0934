"""`make up`: the whole ledger on this machine, no AWS account and no Docker.

DynamoDB Local (data kept under `.seatledger/`), moto for EventBridge and SQS, the pipeline's
pollers and the API on http://127.0.0.1:8080, all in this process but DynamoDB Local's JVM.
Resources are created when missing; consumers first catch up from the store's log (queues live
in memory and start empty); one line says when it is ready; Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

from infra.dynamodb_local import PROJECT_ROOT, DynamoDBLocal

if TYPE_CHECKING:
    from infra.local_pipeline import Resources

LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",  # no metric lines in a terminal
    "POWERTOOLS_LOG_LEVEL": "WARNING",  # handlers log problems; requests are logged below
    "SEATLEDGER_DEV_ROUTES": "1",
}

CLIENT_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")
DYNAMODB_ENDPOINT_VARS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
log = logging.getLogger("seatledger")


@dataclass(frozen=True)
class Ports:
    api: int = int(os.environ.get("SEATLEDGER_API_PORT", "8080"))
    dynamodb: int = int(os.environ.get("SEATLEDGER_DYNAMODB_PORT", "8000"))


def serve(stop: threading.Event, data_dir: Path, ports: Ports) -> None:
    for key, value in LOCAL_ENV.items():
        os.environ.setdefault(key, value)
    dynamodb_local = DynamoDBLocal(
        port=ports.dynamodb, db_path=data_dir / "dynamodb", log_path=data_dir / "dynamodb.log"
    )
    log.info("starting DynamoDB Local (data in %s)", data_dir / "dynamodb")
    dynamodb_local.start()
    os.environ.update(dict.fromkeys(DYNAMODB_ENDPOINT_VARS, dynamodb_local.endpoint))
    try:
        run_services(stop, data_dir, ports)
    finally:
        dynamodb_local.stop()


def run_services(stop: threading.Event, data_dir: Path, ports: Ports) -> None:
    # Imported here: handlers read the environment set above when first imported.
    from handlers.api import handler as api_handler
    from infra.local_api import LocalApi
    from infra.local_aws import local_aws
    from infra.local_pipeline import LocalPipeline, provision_all
    from infra.settings import Settings
    from infra.wiring import catch_up, dynamodb, simulated_gateway, ticketing

    settings = Settings.from_env()
    with local_aws(settings.event_bus) as aws:
        log.info("moto (EventBridge, SQS) on %s", aws.endpoint)
        resources = provision_all(dynamodb(), aws.events, aws.sqs, settings)
        app = ticketing(settings, simulated_gateway(settings))
        log.info("consumers caught up with the index (%d events)", catch_up(settings, app))
        pipeline = LocalPipeline(settings, resources, data_dir / "checkpoints", aws.sqs).start()
        api = LocalApi(api_handler, port=ports.api).start()
        write_stack_file(data_dir, api.url, resources)
        print(
            f"seatledger ready: {api.url}  (seat map: {api.url}/?show=SHOW_ID, "
            f"API spec: {api.url}/openapi.json); Ctrl-C stops",
            flush=True,
        )
        try:
            stop.wait()
        finally:
            log.info("stopping")
            (data_dir / "stack.json").unlink(missing_ok=True)
            api.stop()
            pipeline.stop()


def write_stack_file(data_dir: Path, api_url: str, resources: Resources) -> None:
    """Where the running stack is, for the `seatledger` command line (removed on stop)."""
    from infra.local_aws import ENDPOINT_VARS

    names = [*CLIENT_VARS, *ENDPOINT_VARS, *DYNAMODB_ENDPOINT_VARS]
    stack = {
        "pid": os.getpid(),
        "api_url": api_url,
        "env": {name: os.environ[name] for name in names},
        "bus_arn": resources.provisioned.bus_arn,
        "archive_arn": resources.provisioned.archive_arn,
    }
    (data_dir / "stack.json").write_text(json.dumps(stack, indent=2))


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("botocore").setLevel(logging.WARNING)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    data_dir = Path(os.environ.get("SEATLEDGER_DATA_DIR") or PROJECT_ROOT / ".seatledger")
    serve(stop, data_dir, Ports())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
