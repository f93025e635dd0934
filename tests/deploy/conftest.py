"""The stack's LocalStack variant, synthesized, deployed to LocalStack core once for this
folder's tests, and stopped with everything it started. Durations are reported at the end."""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.auth import Issuer, ensure_key
from tests.deploy.deploy import Deployed, DeployError, deploy
from tests.deploy.hops import API, Pipeline
from tests.deploy.localstack import LocalStack

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION", "1")

DURATIONS: dict[str, float] = {}


@contextmanager
def timed(step: str) -> Iterator[None]:
    started = time.monotonic()
    try:
        yield
    finally:
        DURATIONS[step] = time.monotonic() - started


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if DURATIONS:
        steps = ", ".join(f"{step} {seconds:.1f} s" for step, seconds in DURATIONS.items())
        terminalreporter.write_line(f"deployed stack on LocalStack: {steps}")


@dataclass
class Deployment:
    localstack: LocalStack
    stack: Deployed
    pipeline: Pipeline
    issuer: Issuer
    tokens: dict[tuple[str, bool], str] = field(default_factory=dict)

    @property
    def api_url(self) -> str:
        """The stage, path-style: LocalStack's host names for APIs need DNS."""
        api_id = self.stack.outputs["ApiUrl"].split("//", 1)[1].split(".", 1)[0]
        return f"{self.localstack.endpoint}/_aws/execute-api/{api_id}/v1"

    def token(self, subject: str, organizer: bool = False) -> str:
        if (subject, organizer) not in self.tokens:
            self.tokens[subject, organizer] = self.issuer.mint(subject, organizer=organizer)
        return self.tokens[subject, organizer]

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        caller: str | None = None,
        organizer: bool = False,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any]:
        """One request through API Gateway; a 5xx names the hop, with the function's log."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        if caller:
            sent["Authorization"] = f"Bearer {self.token(caller, organizer)}"
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.api_url + path, data, sent, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, text = answer.status, answer.read()
        except urllib.error.HTTPError as e:
            status, text = e.code, e.read()
        if status >= 500:
            raise AssertionError(self.pipeline.report(f"{method} {path} answered {status}", (API,)))
        return status, json.loads(text) if text else None


def synthesize(outdir: Path, jwks: dict[str, Any]) -> Path:
    from cdk.app import build_app  # jsii starts a Node process: only when deploying

    app, _ = build_app(outdir=str(outdir), context=localstack_context(jwks))
    app.synth()
    return outdir


def localstack_context(jwks: dict[str, Any]) -> dict[str, str]:
    from cdk.variant import JWKS_CONTEXT, TARGET_CONTEXT

    return {TARGET_CONTEXT: "localstack", JWKS_CONTEXT: json.dumps(jwks)}


@pytest.fixture(scope="session")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    root = tmp_path_factory.mktemp("deploy")
    keys = ensure_key(root / "issuer")
    jwks = json.loads((keys / "jwks.json").read_text())
    with timed("synth"):
        outdir = synthesize(root / "cdk.out", jwks)
    localstack = LocalStack(root / "localstack")
    with timed("start"):
        localstack.start()
    try:
        with timed("deploy"):
            try:
                stack = deploy(localstack.endpoint, outdir, "SeatLedger")
            except DeployError as e:
                raise AssertionError(f"{e}\nLocalStack's log:\n{localstack.tail()}") from None
        skipped = localstack.unsupported_resources()
        assert not skipped, f"LocalStack skipped resources it cannot create: {skipped}"
        pipeline = Pipeline(localstack.endpoint, localstack.function_logs)
        yield Deployment(localstack, stack, pipeline, Issuer(root / "issuer"))
    finally:
        with timed("stop"):
            localstack.stop()
