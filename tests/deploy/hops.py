"""Which hop of the deployed ledger failed: each function, as the stack deployed it, with what
it did (invocations, errors, parked messages) and its log tail from the host executor."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.rules import RULES
from tests.deploy.deploy import client


@dataclass(frozen=True)
class Hop:
    name: str  # what carries work to the function, as AWS would
    service: str  # the function's POWERTOOLS_SERVICE_NAME, one per function of the stack


# In the order the double booking travels them.
HOPS = (
    Hop("API Gateway REST proxy -> api function", "api"),
    Hop("event table stream (event source mapping) -> indexer", "indexer"),
    Hop("event table stream (event source mapping) -> stream forwarder", "stream-forwarder"),
    *(
        Hop(f"EventBridge rule {r.name} -> SQS (event source mapping) -> {r.name}", r.name)
        for r in RULES
    ),
)
API = HOPS[0]
CATCH_UP = Hop("EventBridge schedule rule (every minute) -> catch-up", "catch-up")


@dataclass
class Record:
    hop: Hop
    function: str
    invocations: int  # finished
    errors: int
    parked: int  # messages in the function's dead-letter or on-failure queue
    log: list[str]

    @property
    def failed(self) -> bool:
        return self.errors > 0 or self.parked > 0 or self.invocations == 0

    def summary(self) -> str:
        return (
            f"{self.hop.name}: function {self.function}, {self.invocations} invocations, "
            f"{self.errors} errors, {self.parked} parked"
        )

    def tail(self, lines: int = 40) -> str:
        return "\n".join(f"    {line}" for line in self.log[-lines:]) or "    (no log)"


class Pipeline:
    """The deployed functions by service, read through LocalStack and the executor's logs."""

    def __init__(self, endpoint: str, function_logs: Path) -> None:
        self.endpoint = endpoint
        self.function_logs = function_logs
        functions = client(endpoint, "lambda").list_functions()["Functions"]
        self.functions: dict[str, dict[str, Any]] = {
            self.environment(f).get("POWERTOOLS_SERVICE_NAME", f["FunctionName"]): f
            for f in functions
        }

    @staticmethod
    def environment(function: dict[str, Any]) -> dict[str, str]:
        return dict((function.get("Environment") or {}).get("Variables", {}))

    def record(self, hop: Hop) -> Record:
        function = self.functions.get(hop.service)
        if function is None:
            return Record(hop, f"(no {hop.service} function deployed)", 0, 0, 0, [])
        name = function["FunctionName"]
        log = [
            line
            for path in sorted((self.function_logs / name).glob("*.log"))
            for line in path.read_text(errors="replace").splitlines()
        ]
        # Finished ones: the executor writes END when the function has answered.
        invocations = sum(line.startswith("END RequestId:") for line in log)
        errors = sum(line.startswith("[ERROR]") or '"level":"ERROR"' in line for line in log)
        queue = self.environment(function).get("DEAD_LETTER_QUEUE_URL")
        return Record(hop, name, invocations, errors, self._depth(queue) if queue else 0, log)

    def _depth(self, queue_url: str) -> int:
        attributes = client(self.endpoint, "sqs").get_queue_attributes(
            QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def report(self, what: str, hops: tuple[Hop, ...] = HOPS) -> str:
        """`what` went wrong: the first hop that failed (or the last one, when none did) with its
        log tail, then every hop's figures."""
        records = [self.record(hop) for hop in hops]
        culprit = next((r for r in records if r.failed), records[-1])
        verdict = "failed" if culprit.failed else "is the last hop (none reports a failure)"
        return "\n".join(
            [
                f"{what}: hop '{culprit.hop.name}' {verdict}",
                f"log tail of {culprit.function}:",
                culprit.tail(),
                "every hop:",
                *(f"  {r.summary()}" for r in records),
            ]
        )
