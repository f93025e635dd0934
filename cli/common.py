"""What every command shares: finding the stack, output (table or --json), exit codes."""

from __future__ import annotations

import inspect
import json
import os
import re
import sys
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, NoReturn

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from infra.untrusted import printable
from local.settings import StackSettings

DATA_DIR = StackSettings().data_dir
STACK_FILE = DATA_DIR / "stack.json"
TOKEN_VAR = "SEATLEDGER_TOKEN"  # a bearer token for the commands that call the API
OPERATOR_NOTE = (
    "Operator tool: it works on the stack's tables and bus directly, with your AWS credentials "
    "(or the local stack's), not through the API: no token is asked for and every customer's "
    "data is visible. Keep those credentials to operators."
)
NO_WRAP = 10_000  # columns when not a terminal: piped output is read by programs, not eyes


def _console(stderr: bool = False) -> Console:
    out = Console(stderr=stderr)
    if not out.is_terminal:  # Rich wraps at 80 columns off a terminal: it would split UUIDs
        out.width = NO_WRAP
    return out


console = _console()
errors = _console(stderr=True)


def waiting() -> bool:
    """Whether to show progress: only to a person watching stderr."""
    return errors.is_terminal


class Exit(IntEnum):
    OK = 0
    FAILED = 1  # the command ran and found a problem (e.g. rebuild could not finish)
    USAGE = 2  # wrong arguments (Typer's own code for these)
    NOT_FOUND = 3  # unknown aggregate, order, show...
    UNREACHABLE = 4  # the stack is not running, or AWS cannot be reached
    INVALID = 5  # input that breaks its schema: nothing was sent


@dataclass
class Output:
    as_json: bool = False

    def emit(self, data: Any, table: Table | str | None = None) -> None:
        if self.as_json or table is None:
            print(json.dumps(data, indent=2, default=str))
        else:
            console.print(table)


def fail(code: Exit, message: str) -> NoReturn:
    errors.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    sys.exit(int(code))


def use_stack(aws: bool) -> dict[str, Any]:
    """Point boto3 at `make up`'s stack (from the file it writes), unless --aws was given.

    With --aws, boto3's own settings (profile, region, endpoints) decide everything.
    """
    if aws:
        return {}
    try:
        stack: dict[str, Any] = json.loads(STACK_FILE.read_text())
    except (OSError, ValueError):
        fail(
            Exit.UNREACHABLE,
            "the local stack is not running: start it with `make up` "
            "(or pass --aws to use your AWS account)",
        )
    try:
        os.kill(int(stack["pid"]), 0)
    except (OSError, KeyError, ValueError):
        fail(
            Exit.UNREACHABLE,
            "the local stack is not running (its last run did not stop "
            "cleanly): start it with `make up`",
        )
    for name, value in stack.get("env", {}).items():
        os.environ.setdefault(name, value)
    return stack


def help_of(command: Any) -> str:
    """The docstring with paragraphs joined (Typer's Rich help keeps single line breaks)."""
    return re.sub(r"(?<!\n)\n(?!\n)", " ", inspect.cleandoc(command.__doc__ or ""))


def operator_help(command: Any) -> str:
    return f"{help_of(command)}\n\n{OPERATOR_NOTE}"


def shown(value: Any) -> str:
    """Stored text as the terminal shows it: control characters escaped (a customer id or a
    label from before they were refused must not clear the screen), no Rich markup."""
    return escape(printable(value))


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    # Off a terminal a title would wrap at the table's width, splitting the ids it names.
    heading = printable(title)
    titled: str | Text = escape(heading)
    if not console.is_terminal:
        titled = Text(heading, no_wrap=True, overflow="ignore")
    out = Table(title=titled, title_justify="left")
    for column in columns:
        out.add_column(column)
    for row in rows:
        out.add_row(*["" if v is None else shown(v) for v in row])
    return out


def read_models() -> Any:
    """The read models of the stack chosen by `use_stack` (whichever copy is live)."""
    from infra.readmodels.catalog import Catalog
    from infra.readmodels.queries import ReadModels
    from infra.settings import Settings
    from infra.wiring import dynamodb

    return ReadModels(dynamodb(), Catalog(dynamodb(), Settings.from_env()).live(fresh=True))
