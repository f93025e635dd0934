"""`seatledger token`: a bearer token for the local stack's API, and the token API calls send."""

from __future__ import annotations

import json
import os
import time

import typer

from cli.common import DATA_DIR, TOKEN_VAR, Exit, fail, use_stack

MAX_EXPIRY = 24 * 3600  # a local token is for trying things, not for keeping


def mint(
    subject: str, *, organizer: bool = False, expires_in: int = 3600, now: float | None = None
) -> str:
    """A token of the running local stack's issuer (call `use_stack(False)` first)."""
    from local.auth import Issuer  # PyJWT and the key: only where tokens are minted

    try:
        issuer = Issuer(DATA_DIR)
        return issuer.mint(subject, organizer=organizer, expires_in=expires_in, now=now)
    except FileNotFoundError as e:
        fail(Exit.UNREACHABLE, str(e))
    except ValueError as e:
        fail(Exit.INVALID, str(e))


def bearer(aws: bool, subject: str, *, organizer: bool = False) -> str:
    """What a command calling the API sends: $SEATLEDGER_TOKEN if set, else (on the local
    stack only) a short-lived token minted for `subject`."""
    given = os.environ.get(TOKEN_VAR, "").strip()
    if given:
        return given.removeprefix("Bearer ").strip()
    if aws:
        fail(
            Exit.USAGE,
            f"with --aws, set {TOKEN_VAR} to an ID token of the deployed user "
            "pool (see the README's Deploy to AWS section)",
        )
    return mint(subject, organizer=organizer, expires_in=900)


def token(
    ctx: typer.Context,
    subject: str = typer.Argument(
        ...,
        help="Who the token is for: its subject, which is the customer id of that caller's orders.",
    ),
    organizer: bool = typer.Option(
        False, "--organizer", help="In the organizers group: may create shows and read any order."
    ),
    expires_in: int = typer.Option(
        3600, "--expires-in", min=1, max=MAX_EXPIRY, help="Seconds until it expires."
    ),
    json_output: bool = typer.Option(False, "--json", help='Print {"token": ...}.'),
) -> None:
    """Print a bearer token for the local stack's API, signed by its local issuer.

    For example: curl -H "Authorization: Bearer $(seatledger token alice)" .../customers/me/orders.
    On AWS, tokens come from the Cognito user pool instead (sign in through it).
    """
    if ctx.obj.aws:
        fail(
            Exit.USAGE,
            "tokens for the deployed API come from its Cognito user pool: "
            "see the README's Deploy to AWS section",
        )
    use_stack(aws=False)
    now = int(time.time())
    minted = mint(subject, organizer=organizer, expires_in=expires_in, now=now)
    if json_output or ctx.obj.output.as_json:
        print(
            json.dumps(
                {
                    "token": minted,
                    "subject": subject,
                    "organizer": organizer,
                    "expires_at": now + expires_in,
                }
            )
        )
    else:
        print(minted)  # alone on its line, for $(seatledger token NAME)


def register(app: typer.Typer) -> None:
    app.command("token")(token)
