"""`make up`'s stack, started once for the end-to-end tests as its own process (with free ports
and a throwaway data directory), and stopped with Ctrl-C as a user would."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from local.dynamodb import PROJECT_ROOT, free_port
from tests.e2e.conformance import Exchange, check

ORGANIZER = "e2e-organizer"
SEEN: list[tuple[str, Exchange]] = []  # what this test's calls were answered (Api.call)
TOKEN_SECONDS = 4 * 3600  # outlives the session


@dataclass
class Api:
    url: str
    data_dir: Path  # holds stack.json, which the `seatledger` command line reads
    tokens: dict[tuple[str, bool], str] = field(default_factory=dict)

    def cli(
        self, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `seatledger ARGS` against this stack (with `env` added to the environment)."""
        mine = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("AWS_ENDPOINT_URL") and k != "SEATLEDGER_TOKEN"
        }
        mine |= {"SEATLEDGER_DATA_DIR": str(self.data_dir), **(env or {})}
        return subprocess.run(
            [str(Path(sys.executable).parent / "seatledger"), *args],
            env=mine,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )

    def token(self, subject: str, organizer: bool = False) -> str:
        """A bearer token for `subject`, from `seatledger token` (once per subject)."""
        if (subject, organizer) not in self.tokens:
            flags = ["--organizer"] if organizer else []
            done = self.cli("token", subject, *flags, "--expires-in", str(TOKEN_SECONDS), "--json")
            assert done.returncode == 0, done.stderr
            self.tokens[subject, organizer] = json.loads(done.stdout)["token"]
        return self.tokens[subject, organizer]

    @property
    def organizer(self) -> str:
        return self.token(ORGANIZER, organizer=True)

    def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, Any]:
        """(status, parsed JSON body) of one request."""
        answer = self.send(method, path, body, headers, token)
        return answer.status, json.loads(answer.content or b"null")

    def send(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
        token: str | None = None,
    ) -> Exchange:
        """One request and its whole answer (headers too), kept for the spec's checks."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path, data=data, method=method)
        request.add_header("Content-Type", "application/json")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                status, got, content = answer.status, dict(answer.headers), answer.read()
        except urllib.error.HTTPError as e:
            status, got, content = e.code, dict(e.headers), e.read()
        sent = dict(request.header_items())
        exchange = Exchange(method, self.url + path, sent, status, got, content)
        SEEN.append((self.url, exchange))
        return exchange

    def wait_for(
        self, path: str, done: Any, timeout: float = 60.0, token: str | None = None
    ) -> Any:
        """GET `path` (with `token`, if the route asks for one) until `done(body)`."""
        deadline = time.monotonic() + timeout
        while True:
            status, body = self.call("GET", path, token=token)
            if status == 200 and done(body):
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} never got there; last answer {status} {body}")
            time.sleep(0.2)


def start(data: Path, **env: str) -> tuple[subprocess.Popen[str], float]:
    """`make up` on `data` as its own process, with `env` added to its environment; returns
    the process and the seconds until it said ready."""
    full = {**os.environ, "SEATLEDGER_DATA_DIR": str(data), **env}
    for name in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_DYNAMODB_STREAMS"):
        full.pop(name, None)
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "local.stack"],
        cwd=PROJECT_ROOT,
        env=full,
        stdout=subprocess.PIPE,
        stderr=(data / "stack.log").open("a"),  # noqa: SIM115 - lives as long as the stack
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()  # blocks until ready (or exit)
    assert line.startswith("seatledger ready"), (line, (data / "stack.log").read_text()[-3000:])
    return process, time.monotonic() - started


def stop(process: subprocess.Popen[str]) -> None:
    """Ctrl-C, as a user stops it."""
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()


@contextlib.contextmanager
def started_stack(settings: dict[str, str] | None = None) -> Iterator[Api]:
    """`make up`'s stack on free ports and a throwaway data directory, with `settings`."""
    data = Path(tempfile.mkdtemp(prefix="seatledger-e2e-"))
    api_port = free_port()
    ports = {"SEATLEDGER_API_PORT": str(api_port), "SEATLEDGER_DYNAMODB_PORT": str(free_port())}
    process, _ = start(data, **ports, **(settings or {}))
    try:
        yield Api(f"http://127.0.0.1:{api_port}", data)
    finally:
        stop(process)


@pytest.fixture(scope="session")
def stack() -> Iterator[Api]:
    with started_stack() as api:
        yield api


@pytest.fixture(autouse=True)
def answers_conform_to_the_spec() -> Iterator[None]:
    """After each test, every answer its API calls got is checked against the spec."""
    SEEN.clear()
    yield
    checked = [exchange for base_url, exchange in SEEN if check(base_url, exchange)]
    SEEN.clear()
    for exchange in checked:
        assert exchange.status < 500, exchange
