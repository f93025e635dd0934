"""The CDK app: ``npx aws-cdk@2 synth --app "python -m cdk.app"`` from the repo root.

The CLI runs from the repo root, so it does not see ``cdk/cdk.json``: the app loads that
file's feature flags itself, and tests get the same ones.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from aws_cdk import App, Aspects, Environment, Tags
from cdk_nag import AwsSolutionsChecks

from cdk.functions import REPO_ROOT
from cdk.stack import SeatLedgerStack
from cdk.variant import VARIANT_CONTEXT, LocalStackVariant
from infra.rules import RULES

STACK_NAME = "SeatLedger"
DEFAULT_DEPS_DIR = REPO_ROOT / ".seatledger" / "lambda-deps"
CONTEXT_FILE = Path(__file__).with_name("cdk.json")


def build_app(
    *,
    deps_dir: Path | None = None,
    outdir: str | None = None,
    context: dict[str, str] | None = None,
) -> tuple[App, SeatLedgerStack]:
    """The app and its one stack, with cdk-nag's AwsSolutions checks applied.

    `deps_dir` is the dependency layer's directory (``python/...`` inside); tests pass an empty
    one. Default: ``$SEATLEDGER_LAMBDA_DEPS`` or ``.seatledger/lambda-deps``. `context` goes
    over cdk.json's (and the CLI's ``-c``), e.g. to choose the LocalStack variant.
    """
    deps = Path(deps_dir or os.environ.get("SEATLEDGER_LAMBDA_DEPS") or DEFAULT_DEPS_DIR)
    if not deps.is_dir():
        raise SystemExit(f"no Lambda dependencies at {deps}: run `make lambda-deps` first")
    app = App(
        context={**json.loads(CONTEXT_FILE.read_text())["context"], **(context or {})},
        outdir=outdir,
    )
    variant = LocalStackVariant.from_context(
        {key: app.node.try_get_context(key) for key in VARIANT_CONTEXT}
    )
    stack = SeatLedgerStack(
        app,
        STACK_NAME,
        deps_dir=deps,
        rules=RULES,
        variant=variant,
        description="seatledger: event-sourced ticketing ledger",
        # Set by the CDK CLI from the caller's credentials; absent in tests (env-agnostic).
        env=Environment(
            account=os.environ.get("CDK_DEFAULT_ACCOUNT"),
            region=os.environ.get("CDK_DEFAULT_REGION"),
        ),
    )
    Tags.of(app).add("project", "seatledger")
    Aspects.of(app).add(AwsSolutionsChecks(verbose=True))
    return app, stack


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
