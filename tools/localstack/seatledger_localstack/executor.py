"""LocalStack's Lambda service, run on the host: each execution environment a Python process.

LocalStack core runs functions only through a runtime executor plugin, and ships only a Docker
one. This plugin (``LAMBDA_RUNTIME_EXECUTOR=host``) relies on these LocalStack interfaces, all in
``localstack.services.lambda_.invocation`` of localstack-core 2026.3.0 (pinned: core is no longer
released, so they stay put):

- ``plugins.RuntimeExecutorPlugin``: the entry point group ``localstack.lambda.runtime_executor``
  (see ../pyproject.toml) and ``load()`` returning the executor class;
- ``runtime_executor.RuntimeExecutor``: ``start(env_vars)`` (the environment is ready when it
  returns), ``invoke(payload)``, ``stop()``, ``get_logs()``, ``prepare_version`` /
  ``cleanup_version`` and the address getters (``get_endpoint_from_executor`` becomes the
  functions' ``AWS_ENDPOINT_URL``);
- ``lambda_models``: ``FunctionVersion.config`` (``runtime``, ``code``, ``layers``; code and
  layer archives unzipped by ``prepare_for_execution()`` at ``get_unzipped_code_location()``)
  and ``InvocationResult``;
- the invoke payload ``execution_environment.ExecutionEnvironment.invoke`` builds;
- ``localstack.config``: ``dirs.logs`` and ``GATEWAY_LISTEN``.

No isolation: a function runs as a plain process of LocalStack's user, on the interpreter
named by its runtime (``python3.12``, found on LocalStack's PATH), with the host's file system,
network and /tmp. It runs with ``-S``, so only the function's code, its layers and that
Python's standard library are importable, not the packages of any environment. No memory
limit, no timeout. Python runtimes only. See ../README.md.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from pathlib import Path

from localstack import config
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

BOOTSTRAP = Path(__file__).with_name("bootstrap.py")


def log_dir() -> Path:
    """Each environment's log file, kept after it stops: ``<name>/<environment id>.log``."""
    return Path(config.dirs.logs) / "lambda"


class HostRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id, function_version)
        self.log_path = log_dir() / function_version.id.function_name / f"{id}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.lock = threading.Lock()  # one invocation at a time, as in Lambda

    def start(self, env_vars: dict[str, str]) -> None:
        cfg = self.function_version.config
        python = (
            shutil.which(cfg.runtime or "") if (cfg.runtime or "").startswith("python") else None
        )
        if python is None:
            raise LambdaRuntimeException(f"no interpreter for runtime {cfg.runtime} on PATH")
        code = str(cfg.code.get_unzipped_code_location())
        # Lambda's order: the function's code, then each layer's python/ folders.
        path = [code]
        for layer in cfg.layers:
            root = layer.code.get_unzipped_code_location()
            path += [
                str(root / "python"),
                *map(str, root.glob("python/lib/python3*/site-packages")),
            ]
        env = {key: str(value) for key, value in env_vars.items()}
        env |= {"PATH": os.environ["PATH"], "PYTHONPATH": os.pathsep.join(path)}
        env |= {"LAMBDA_TASK_ROOT": code, "PYTHONDONTWRITEBYTECODE": "1"}
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [python, "-S", "-P", str(BOOTSTRAP)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                env=env,
                cwd=code,
            )

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        request_id = payload["invoke-id"]
        with self.lock:
            assert self.process and self.process.stdin and self.process.stdout
            offset = self._log(f"START RequestId: {request_id} Version: $LATEST\n")
            began = time.monotonic()
            try:
                self.process.stdin.write(json.dumps(payload).encode() + b"\n")
                self.process.stdin.flush()
                line = self.process.stdout.readline()
            except OSError:
                line = b""
            if line:
                answer = json.loads(line)
                ok, body = answer["ok"], answer["payload"].encode()
            else:  # the process died: Lambda's runtime exit error
                ok, body = False, self._exited()
            ms = (time.monotonic() - began) * 1000
            self._log(
                f"END RequestId: {request_id}\nREPORT RequestId: {request_id}\t"
                f"Duration: {ms:.2f} ms\n"
            )
            with self.log_path.open("rb") as log:
                log.seek(offset)
                logs = log.read().decode(errors="replace")
        return InvocationResult(request_id, body, is_error=not ok, logs=logs)

    def _exited(self) -> bytes:
        assert self.process
        code = self.process.wait()
        error = {"errorType": "Runtime.ExitError", "errorMessage": f"process exited: {code}"}
        self._log(f"[ERROR] Runtime.ExitError: process exited: {code}\n")
        return json.dumps(error).encode()

    def _log(self, text: str) -> int:
        """Appends `text` to the log; returns where it starts."""
        with self.log_path.open("ab") as log:
            offset = log.tell()
            log.write(text.encode())
        return offset

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.stdin:
            self.process.stdin.close()  # the bootstrap's loop ends at end of input
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def get_logs(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        host = config.GATEWAY_LISTEN[0].host
        return "127.0.0.1" if host in ("", "0.0.0.0") else host

    def get_runtime_endpoint(self) -> str:
        # Only the Docker runtime's init calls back; nothing here does.
        return f"http://{self.get_endpoint_from_executor()}:{config.GATEWAY_LISTEN[0].port}"

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        cfg = function_version.config
        for archive in [cfg.code, *(layer.code for layer in cfg.layers)]:
            if archive is not None:
                archive.prepare_for_execution()

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass  # the unzipped code stays with LocalStack's files until it stops


class HostRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "host"

    def load(self, *args: object, **kwargs: object) -> type[RuntimeExecutor]:
        return HostRuntimeExecutor
