"""What any command line is expected to do: `--json` before or after the subcommand,
`--version`, an empty answer that is not an error, whole lines when piped, progress only on a
terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import uuid
from importlib.metadata import version
from pathlib import Path

from tests.e2e.conftest import Api
from tests.e2e.test_cli_history import as_json
from tests.e2e.test_cli_query import settled_show, settled_views


def test_json_may_follow_the_subcommand(stack: Api) -> None:
    customer = f"conv-{uuid.uuid4().hex[:8]}"
    _, a, b = settled_show(stack, customer)
    before = as_json(stack, "query", "orders", "--customer", customer)
    after = stack.cli("query", "orders", "--customer", customer, "--json")
    assert after.returncode == 0, after.stderr
    assert json.loads(after.stdout) == before and [o["order_id"] for o in before] == [a, b]
    parked = stack.cli("dlq", "list", "--json")
    assert parked.returncode == 0 and isinstance(json.loads(parked.stdout), list)


def test_version_is_the_packages() -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "seatledger"), "--version"],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout) == (0, f"seatledger {version('seatledger')}\n")


def test_nothing_found_is_an_empty_answer_not_an_error(stack: Api) -> None:
    nobody = f"nobody-{uuid.uuid4().hex}"
    done = stack.cli("--json", "query", "orders", "--customer", nobody)
    assert (done.returncode, json.loads(done.stdout)) == (0, [])
    said = stack.cli("query", "orders", "--customer", nobody)
    assert said.returncode == 0 and "no orders" in said.stderr


def test_piped_output_keeps_each_line_whole(stack: Api) -> None:
    customer = f"conv-{uuid.uuid4().hex[:8]}"
    show, _, b = settled_show(stack, customer)
    settled_views(stack, show, [b])
    payment = as_json(stack, "query", "payments", b)["payment_id"]
    done = stack.cli("query", "payments", b)  # its title holds two UUIDs: over 80 columns
    assert done.returncode == 0, done.stderr
    [title] = [line for line in done.stdout.splitlines() if line.startswith("payment ")]
    assert f"payment {payment} of order {b}: CAPTURED" in title
    listing = stack.cli("query", "orders", "--customer", customer).stdout
    assert b in listing  # not folded over two lines


def test_progress_goes_to_a_terminal_only(stack: Api) -> None:
    """`rebuild` shows a bar while it reads: on stderr when it is a terminal, else nowhere."""
    piped = stack.cli("rebuild", "--view", "orders")
    assert piped.returncode == 0, piped.stderr
    assert "events/s" not in piped.stdout + piped.stderr and "Rebuilt" in piped.stdout

    terminal, other_end = pty.openpty()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT_URL")}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "seatledger"), "rebuild", "--view", "orders"],
        env={**env, "SEATLEDGER_DATA_DIR": str(stack.data_dir), "TERM": "xterm"},
        stdout=subprocess.PIPE,
        stderr=other_end,
        text=True,
    )
    os.close(other_end)
    seen = b""
    while True:
        try:
            chunk = os.read(terminal, 4096)
        except OSError:  # the command closed its end
            break
        if not chunk:
            break
        seen += chunk
    os.close(terminal)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == 0, seen
    assert b"events/s" in seen and "events/s" not in out and "Rebuilt" in out
