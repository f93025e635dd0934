"""LocalStack core on the host: offline, loopback only, functions run by the host executor.

Everything it writes lives under one root (its FILESYSTEM_ROOT and TMPDIR), and it runs in a
process group of its own, so `stop` ends it with DynamoDB Local and every function process.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from local.dynamodb import PROJECT_ROOT, die_with_parent, find_jar_dir, free_port

VENV = PROJECT_ROOT / ".seatledger" / "localstack" / "venv"
RUNTIMES = VENV.parent / "runtimes"  # python3.12 -> the interpreter the functions run on
TOOLS = PROJECT_ROOT / "tools" / "localstack"
AGENT = "ddb-local-loader-0.1.jar"  # the name LocalStack's DynamoDB passes to -javaagent


def settings(root: Path, port: int) -> dict[str, str]:
    """The settings that work offline without Docker (see tools/localstack/README.md)."""
    address = f"127.0.0.1:{port}"
    return {
        "GATEWAY_LISTEN": address,
        "LOCALSTACK_HOST": address,
        "OVERRIDE_IN_DOCKER": "0",  # /.dockerenv exists on this machine kind
        "FILESYSTEM_ROOT": str(root),
        "TMPDIR": str(root / "tmp"),  # unzipped function code goes to $TMPDIR/lambda
        "DNS_ADDRESS": "0",
        "DISABLE_EVENTS": "1",
        "SKIP_SSL_CERT_DOWNLOAD": "1",
        "SQS_ENDPOINT_STRATEGY": "path",  # the default queue URLs' host names need DNS
        "PROVIDER_OVERRIDE_DYNAMODBSTREAMS": "v2",  # DynamoDB Local's own streams
        "LAMBDA_RUNTIME_EXECUTOR": "host",
        # Lambda polls a stream shard about four times a second; LocalStack backs off to 10 s.
        "LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC": "1",
    }


def provide_dynamodb(root: Path) -> None:
    """Java and DynamoDB Local where LocalStack looks, instead of its downloads."""
    libs = root / "var" / "lib" / "localstack" / "lib"
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("LocalStack's DynamoDB needs Java (17+) on PATH")
    (libs / "java").mkdir(parents=True, exist_ok=True)
    (libs / "java" / "21").symlink_to(Path(java).resolve().parent.parent)
    ddb = libs / "dynamodb-local" / "2"
    ddb.mkdir(parents=True)
    jar_dir = find_jar_dir()
    for name in ("DynamoDBLocal.jar", "DynamoDBLocal_lib"):
        (ddb / name).symlink_to(jar_dir / name)
    (ddb / AGENT).symlink_to(noop_agent())


def noop_agent() -> Path:
    """tools/localstack/NoopAgent.java as an agent jar, built once."""
    out = VENV.parent / "agent"
    jar = out / AGENT
    if not jar.exists():
        out.mkdir(parents=True, exist_ok=True)
        subprocess.run(["javac", "-d", str(out), str(TOOLS / "NoopAgent.java")], check=True)
        with zipfile.ZipFile(jar.with_suffix(".tmp"), "w") as z:
            z.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\nPremain-Class: NoopAgent\n")
            z.write(out / "NoopAgent.class", "NoopAgent.class")
        jar.with_suffix(".tmp").rename(jar)
    return jar


@dataclass
class LocalStack:
    root: Path  # emptied and owned by this instance
    port: int = 0
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.root / "localstack.log"

    @property
    def function_logs(self) -> Path:
        """Where the host executor keeps each execution environment's log."""
        return self.root / "var" / "lib" / "localstack" / "logs" / "lambda"

    def start(self, timeout: float = 120.0) -> LocalStack:
        python = VENV / "bin" / "python"
        if not python.exists():
            raise RuntimeError(f"no LocalStack at {VENV}: run `make localstack`")
        shutil.rmtree(self.root, ignore_errors=True)
        (self.root / "tmp").mkdir(parents=True)
        provide_dynamodb(self.root)
        self.port = self.port or free_port()
        # Nothing of the caller's AWS settings: LocalStack configures its own clients.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= settings(self.root, self.port)
        env["PATH"] = f"{RUNTIMES}{os.pathsep}{env['PATH']}"  # where the executor finds python3.12
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=self.root,
                start_new_session=True,  # one group: it, DynamoDB Local, the functions
                preexec_fn=die_with_parent,  # noqa: PLW1509
            )
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"LocalStack exited ({self.process.returncode}):\n{self.tail()}")
            health = f"{self.endpoint}/_localstack/health"
            with contextlib.suppress(OSError), urllib.request.urlopen(health, timeout=1):
                return
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"LocalStack did not answer in {timeout:.0f} s:\n{self.tail()}")

    def unsupported_resources(self) -> list[str]:
        """Resource types CloudFormation skipped for want of a provider (it only warns)."""
        found = re.findall(r'No resource provider found for "([^"]+)"', self._log())
        return sorted(set(found))

    def _log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self._log().splitlines()[-lines:])

    def stop(self, timeout: float = 20.0) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
        # Whatever of its group is left (a function process it did not stop).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
