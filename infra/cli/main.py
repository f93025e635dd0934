"""`seatledger`: the ledger's command line (Typer). Each group of commands has its own module."""

from __future__ import annotations

from dataclasses import dataclass

import typer
from botocore.exceptions import BotoCoreError, ClientError

from infra.cli import bus, demo, history, query, replay, token
from infra.cli.common import Exit, Output, fail

app = typer.Typer(
    help="Event history, replay, queries and test events for the seatledger ledger. `token` and "
    "`demo` go through the API (with a bearer token); the others are operator tools that use "
    "the stack's tables and bus directly.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@dataclass
class Context:
    output: Output
    aws: bool


@app.callback()
def options(
    ctx: typer.Context,
    json_output: bool = typer.Option(False, "--json", help="Machine-readable output."),
    aws: bool = typer.Option(
        False, "--aws", help="Use your AWS account (boto3 settings) instead of `make up`'s stack."
    ),
) -> None:
    ctx.obj = Context(Output(json_output), aws)


for module in (history, query, replay, bus, demo, token):
    module.register(app)


def run() -> None:
    try:
        app()
    except BotoCoreError as e:  # connection refused, no credentials...
        fail(Exit.UNREACHABLE, f"cannot reach the ledger's AWS services: {e}")
    except ClientError as e:  # reached, and refused
        fail(Exit.FAILED, f"AWS refused the request: {e}")
