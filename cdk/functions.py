"""Lambda code, the dependency layer, and a function with its own role and log group."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from aws_cdk import Duration, IgnoreMode, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.environment import FIXED, powertools
from cdk.nag import suppress

REPO_ROOT = Path(__file__).resolve().parents[1]
RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64  # matches the layer's manylinux2014_x86_64 wheels

# gitignore rules: everything at the top of the repo is left out, then the four packages that run
# in Lambda return. `local/`, `cli/` and `cdk/` stay on the workstation.
RUNTIME_PACKAGES = ("domain", "handlers", "infra", "projections")
CODE_EXCLUDE = ["/*", *(f"!/{name}/" for name in RUNTIME_PACKAGES), "__pycache__/", "*.pyc"]


class LambdaCode(Construct):
    """One code asset and one dependency layer, shared by every function of the stack."""

    def __init__(
        self, scope: Construct, id: str, *, deps_dir: Path, include: Sequence[str] = ()
    ) -> None:
        """`include`: gitignore negations (``!/path``) of files `CODE_EXCLUDE` leaves out."""
        super().__init__(scope, id)
        self.code = lambda_.Code.from_asset(
            str(REPO_ROOT), exclude=[*CODE_EXCLUDE, *include], ignore_mode=IgnoreMode.GIT
        )
        self.layer = lambda_.LayerVersion(
            self,
            "Dependencies",
            code=lambda_.Code.from_asset(str(deps_dir)),
            compatible_runtimes=[RUNTIME],
            compatible_architectures=[ARCHITECTURE],
            description="seatledger runtime dependencies (make lambda-deps)",
        )


class ServiceFunction(Construct):
    """A function with X-Ray, Powertools settings, and a role that starts with no permissions.

    The role gets only log writes to its own log group here; each construct grants the rest.
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: LambdaCode,
        handler: str,
        service: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_size: int = 512,
        reserved_concurrency: int | None = None,
    ) -> None:
        super().__init__(scope, id)
        self.log_group = logs.LogGroup(
            self,
            "Logs",
            retention=logs.RetentionDays.ONE_MONTH,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.role = iam.Role(
            self,
            "Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"seatledger {service}: {handler}",
        )
        self.function = lambda_.Function(
            self,
            "Function",
            runtime=RUNTIME,
            architecture=ARCHITECTURE,
            handler=handler,
            code=code.code,
            layers=[code.layer],
            role=self.role,
            log_group=self.log_group,
            tracing=lambda_.Tracing.ACTIVE,
            timeout=timeout,
            memory_size=memory_size,
            reserved_concurrent_executions=reserved_concurrency,
            environment={**FIXED, **environment, **powertools(service)},
            description=f"seatledger {service}",
        )
        # Instead of AWSLambdaBasicExecutionRole (logs on every group): this group only.
        self.log_group.grant_write(self.role)
        # Covers the role's later grants too (cdk-nag keeps the first reason per finding);
        # tests/cdk/test_security.py pins which actions may have the resource *.
        suppress(
            self.role,
            "IAM5",
            "X-Ray PutTraceSegments and PutTelemetryRecords, and a stream consumer's "
            "dynamodb:ListStreams, support no resource-level permissions, so their only "
            "resource is *; the stream reads themselves are scoped to the stream's ARN.",
            "Resource::*",
        )
        suppress(
            self.function,
            "L1",
            "python3.12 is pinned on purpose: the dependency layer is built for it "
            "(pip --python-version 3.12); upgrade both together.",
        )
