"""`make up`: the whole ledger on this machine, no AWS account and no Docker.

DynamoDB Local (data kept under `.seatledger/`), moto for EventBridge and SQS, each pipeline
function and the API in processes of their own (`local.functions`), as Lambda runs them:
several workers per queue, several API processes on http://127.0.0.1:8080, all checking tokens
against one local issuer's key (`local.auth`, made here first). Resources are created
when missing; the index first catches up with the stream, then the catch-up function follows it
(queues live in memory and start empty); one line says when it is ready; Ctrl-C stops everything.
If DynamoDB Local dies, it is started again on its data and port, and the stack carries on.

Settings: SEATLEDGER_API_PORT (8080), SEATLEDGER_DYNAMODB_PORT (8000), SEATLEDGER_DATA_DIR
(.seatledger), SEATLEDGER_API_WORKERS (2 processes), SEATLEDGER_QUEUE_WORKERS (4 per queue).

Long: `make up`'s supervisor: the start order, restarts and shutdown of every child in one
place.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from infra.settings import Settings
from local.dynamodb import (
    PROJECT_ROOT,
    DynamoDBLocal,
    DynamoDBLocalError,
    die_with_parent,
    free_port,
)
from local.settings import StackSettings, env_name

if TYPE_CHECKING:
    from local.pipeline import Resources

FUNCTIONS = (
    "stream-forwarder",
    "indexer",
    "payment",
    "reallocation",
    "read-models",
    "catch-up",
    "scheduler",
)
LOCAL_ENV = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "POWERTOOLS_METRICS_DISABLED": "true",  # no metric lines in a terminal
    "POWERTOOLS_TRACE_DISABLED": "true",  # no X-Ray daemon here
    "POWERTOOLS_LOG_LEVEL": "INFO",  # the pipeline's work, one line per event and step
    **Settings.of(log_format="text", dev_routes=True).environment("log_format", "dev_routes"),
}

CLIENT_VARS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION", "AWS_DEFAULT_REGION")
DYNAMODB_ENDPOINT_VARS = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS")
logger = logging.getLogger("seatledger")


class StackError(RuntimeError):
    """The stack cannot start or go on; the message is the one line a user sees."""


def serve(stop: threading.Event, data_dir: Path, ports: StackSettings) -> None:
    for key, value in LOCAL_ENV.items():
        os.environ.setdefault(key, value)
    try:  # first, so that a busy API port is said before anything starts
        listener = socket.create_server(("127.0.0.1", ports.api_port), backlog=128)
    except OSError:
        raise StackError(
            f"the API port {ports.api_port} is in use; stop what uses it "
            "or choose another port (SEATLEDGER_API_PORT)"
        ) from None
    dynamodb_local = DynamoDBLocal(
        port=ports.dynamodb_port, db_path=data_dir / "dynamodb", log_path=data_dir / "dynamodb.log"
    )
    logger.info("starting DynamoDB Local (data in %s)", data_dir / "dynamodb")
    with listener:
        dynamodb_local.start()
        os.environ.update(dict.fromkeys(DYNAMODB_ENDPOINT_VARS, dynamodb_local.endpoint))
        try:
            run_services(stop, data_dir, listener, ports, lambda: supervise(stop, dynamodb_local))
        finally:
            dynamodb_local.stop()


def supervise(stop: threading.Event, dynamodb_local: DynamoDBLocal) -> None:
    """Until stopped: a DynamoDB Local that died is started again on its data and port (the
    stack's clients keep its endpoint); one line when it died, one when it is back."""
    while not stop.wait(0.5):
        if dynamodb_local.alive():
            continue
        code = dynamodb_local.process.returncode if dynamodb_local.process else None
        logger.warning("DynamoDB Local exited (code %s); starting it again on its data", code)
        died = time.monotonic()
        while not stop.is_set():
            try:
                dynamodb_local.start()
                break
            except DynamoDBLocalError as e:  # e.g. its port still taken: say so, try again
                logger.warning("DynamoDB Local did not start again: %s", e)
                stop.wait(2)
        logger.warning("DynamoDB Local is back after %.1f s", time.monotonic() - died)


def run_services(
    stop: threading.Event,
    data_dir: Path,
    listener: socket.socket,
    ports: StackSettings,
    until_stopped: Callable[[], None],
) -> None:
    # Imported here: they read the environment set above when first imported.
    import boto3

    from infra.settings import ENV_VARS, Settings
    from infra.wiring import dynamodb
    from local.auth import JWKS_PATH, ensure_key
    from local.aws import ENDPOINT_VARS
    from local.functions import RESOURCES
    from local.pipeline import (
        LOCAL_SCHEDULER_ROLE,
        LocalPipeline,
        provision_all,
        redeliver_deadlines,
    )

    settings = Settings.from_env()
    os.environ[env_name("data_dir")] = str(data_dir)
    keys = ensure_key(data_dir)  # before any API process: they all verify with this key
    with Children() as children:
        moto_port = free_port()
        children.start("moto", str(moto_port))
        children.wait_ready()
        os.environ.update(dict.fromkeys(ENDPOINT_VARS, f"http://127.0.0.1:{moto_port}"))
        logger.info("moto (EventBridge, SQS, Scheduler) on port %d", moto_port)
        resources = provision_all(dynamodb(), boto3.client("events"), boto3.client("sqs"), settings)
        (data_dir / RESOURCES).write_text(resources.to_json())
        # Payment deadlines come back to the reallocation queue (moto's scheduler, fired by
        # the local "scheduler" function).
        reallocation = resources.provisioned.queues["reallocation"]
        os.environ[ENV_VARS["deadline_queue_arn"]] = reallocation.arn
        os.environ[ENV_VARS["scheduler_role_arn"]] = LOCAL_SCHEDULER_ROLE
        # What the stream holds is indexed first: events forwarded before a stop may have died
        # with moto's in-memory queues, and the catch-up function starts from the index.
        sqs = boto3.client("sqs")
        indexed = LocalPipeline(settings, resources, data_dir / "checkpoints", sqs).drain_index()
        logger.info("index caught up with the stream (%d records)", indexed)
        if waiting := redeliver_deadlines(Settings.from_env(), reallocation.url, sqs):
            logger.info(
                "payment deadlines scheduled again for %d orders (moto forgot them)", waiting
            )
        for function in FUNCTIONS:
            children.start(function)
        for _ in range(max(1, ports.api_workers)):
            fd = str(listener.fileno())
            children.start("api", env={env_name("api_fd"): fd}, fds=(listener.fileno(),))
        children.wait_ready()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        write_stack_file(data_dir, url, resources)
        logger.info("token issuer: key in %s, JWKS at %s%s", keys, url, JWKS_PATH)
        print(
            f"seatledger ready: {url}  (seat map: {url}/?show=SHOW_ID, "
            f"API spec: {url}/openapi.json; a token: seatledger token NAME); Ctrl-C stops",
            flush=True,
        )
        try:
            until_stopped()
        finally:
            logger.info("stopping")
            (data_dir / "stack.json").unlink(missing_ok=True)


class Children:
    """The stack's processes: started, awaited until each says it is ready, and stopped."""

    def __init__(self) -> None:
        self.processes: list[tuple[str, subprocess.Popen[str]]] = []
        self._ready = 0

    def start(
        self, name: str, *args: str, env: dict[str, str] | None = None, fds: tuple[int, ...] = ()
    ) -> None:
        process = subprocess.Popen(
            [sys.executable, "-m", "local.functions", name, *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **(env or {})},
            stdout=subprocess.PIPE,
            text=True,
            pass_fds=fds,
            preexec_fn=die_with_parent,  # noqa: PLW1509 - no threads run here at fork time
        )
        self.processes.append((name, process))

    def wait_ready(self) -> None:
        for name, process in self.processes[self._ready :]:
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise RuntimeError(f"{name} did not start (exit code {process.wait()})")
        self._ready = len(self.processes)

    def __enter__(self) -> Children:
        return self

    def __exit__(self, *exc: object) -> None:
        """The functions stop together; moto, started first and called by all of them, stops
        after them, so none is left retrying a dead endpoint until it is killed."""
        self._stop(self.processes[1:])
        self._stop(self.processes[:1])

    @staticmethod
    def _stop(processes: list[tuple[str, subprocess.Popen[str]]]) -> None:
        for _, process in processes:
            if process.poll() is None:
                process.terminate()
        for name, process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                logger.warning("%s did not stop; killing it", name)
                process.kill()


def write_stack_file(data_dir: Path, api_url: str, resources: Resources) -> None:
    """Where the running stack is, for the `seatledger` command line (removed on stop)."""
    from local.aws import ENDPOINT_VARS

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
    from local.functions import stopped_by_signals

    stop = stopped_by_signals()
    settings = StackSettings()
    try:
        serve(stop, settings.data_dir, settings)
    except (StackError, DynamoDBLocalError) as e:
        print(f"make up: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
