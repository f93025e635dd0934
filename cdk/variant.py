"""The stack's LocalStack variant: what `make test-deploy` deploys to LocalStack core.

The same storage, functions, stream mappings, bus, rules, queues, catch-up and API as on AWS,
less what LocalStack core does not emulate:

- the Cognito user pool, its client and the organizers group, and with them the API's Cognito
  authorizer (core runs no API Gateway authorizer). The API function verifies bearer tokens
  itself instead, with the local token issuer's verifier (`local.api.authorize`) against
  a JWKS given at synth time, and PyJWT from a layer of its own; the claims land where the
  authorizer puts them, so `handlers.api` runs unchanged;
- the WAF web ACL and its association with the stage (no WAFv2 in core).

Chosen by context: ``seatledger:target=localstack`` and ``seatledger:jwks=<JWKS JSON>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from cdk.functions import REPO_ROOT

TARGET_CONTEXT = "seatledger:target"  # "aws" (the default) or "localstack"
JWKS_CONTEXT = "seatledger:jwks"
TOKEN_DEPS_CONTEXT = "seatledger:token-deps"
VARIANT_CONTEXT = (TARGET_CONTEXT, JWKS_CONTEXT, TOKEN_DEPS_CONTEXT)
DEFAULT_TOKEN_DEPS = REPO_ROOT / ".seatledger" / "localstack" / "token-deps"
# The API function of the variant; its module is in the variant's code asset only.
VERIFYING_HANDLER = "local.verified_api.handler"
JWKS_VAR = "SEATLEDGER_JWKS"  # read by local.verified_api
# The variant's asset keeps `local/` too, for the token check (local/verified_api.py) and what it
# imports; the AWS asset never has it.
CODE_INCLUDE = ["!/local/"]


@dataclass(frozen=True)
class LocalStackVariant:
    jwks: str  # the issuer's public keys, JSON
    token_deps: Path  # PyJWT[crypto] for Linux x86_64, Python 3.12 (``python/...`` inside)

    @classmethod
    def from_context(cls, context: dict[str, object]) -> LocalStackVariant | None:
        """The variant the context asks for, or None for the AWS stack."""
        target = str(context.get(TARGET_CONTEXT) or "aws")
        if target == "aws":
            return None
        if target != "localstack":
            raise SystemExit(f"{TARGET_CONTEXT} must be 'aws' or 'localstack', not {target!r}")
        jwks = context.get(JWKS_CONTEXT)
        if not isinstance(jwks, str) or not json.loads(jwks).get("keys"):
            raise SystemExit(f"the LocalStack variant needs {JWKS_CONTEXT}: a JWKS with keys")
        deps = Path(str(context.get(TOKEN_DEPS_CONTEXT) or DEFAULT_TOKEN_DEPS))
        if not (deps / "python" / "jwt").is_dir():
            raise SystemExit(f"no PyJWT layer at {deps}: run `make localstack` first")
        return cls(jwks=json.dumps(json.loads(jwks), separators=(",", ":")), token_deps=deps)
