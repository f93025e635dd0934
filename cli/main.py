"""`seatledger`: the ledger's command line (Typer). Each group of commands has its own module."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib.metadata import version

import typer
from botocore.exceptions import BotoCoreError, ClientError

from cli import bus, demo, dlq, history, query, rebuild, status, token
from cli.common import Exit, Output, fail

app = typer.Typer(
    help="Event history, rebuild, queries, dead letters, status and test events for the seatledger "
    "ledger. `token` and "
    "`demo` go through the API (with a bearer token); the others are operator tools that use "
    "the stack's tables and bus directly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@dataclass
class Context:
    output: Output
    aws: bool


JSON_HELP = "Machine-readable output (before or after the subcommand)."


def show_version(value: bool) -> None:
    if value:
        print(f"seatledger {version('seatledger')}")
        raise typer.Exit()


@app.callback()
def options(
    ctx: typer.Context,
    json_output: bool = typer.Option(False, "--json", help=JSON_HELP),
    aws: bool = typer.Option(
        False, "--aws", help="Use your AWS account (boto3 settings) instead of `make up`'s stack."
    ),
    _: bool = typer.Option(
        False, "--version", callback=show_version, is_eager=True, help="Print the version."
    ),
) -> None:
    ctx.obj = Context(Output(json_output), aws)


for module in (history, query, rebuild, bus, demo, token, dlq, status):
    module.register(app)


def hoist_json(args: list[str]) -> list[str]:
    """`--json` anywhere before a `--` moved to the front, where the app's option reads it:
    Click binds an option to the command it follows, and this one belongs to them all."""
    end = args.index("--") if "--" in args else len(args)
    if "--json" not in args[:end]:
        return args
    return ["--json", *(a for i, a in enumerate(args) if i >= end or a != "--json")]


def run() -> None:
    try:
        app(args=hoist_json(sys.argv[1:]), prog_name="seatledger")
    except BotoCoreError as e:  # connection refused, no credentials...
        fail(Exit.UNREACHABLE, f"cannot reach the ledger's AWS services: {e}")
    except ClientError as e:  # reached, and refused
        fail(Exit.FAILED, f"AWS refused the request: {e}")
