"""The LocalStack variant (cdk/variant.py): the AWS stack less what LocalStack core lacks,
its API function checking tokens itself. tests/deploy deploys it; this pins its shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cdk.app import build_app
from cdk.variant import JWKS_CONTEXT, TARGET_CONTEXT, TOKEN_DEPS_CONTEXT, VERIFYING_HANDLER

JWKS = {"keys": [{"kty": "RSA", "kid": "k1", "n": "AQAB", "e": "AQAB"}]}
LEFT_OUT = {
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::ApiGateway::Authorizer",
    "AWS::WAFv2::WebACL",
    "AWS::WAFv2::WebACLAssociation",
    "AWS::CloudWatch::Dashboard",
    "AWS::Events::Archive",
}


@pytest.fixture(scope="module")
def variant(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    deps = tmp_path_factory.mktemp("lambda-deps")
    token_deps = tmp_path_factory.mktemp("token-deps")
    (token_deps / "python" / "jwt").mkdir(parents=True)
    outdir = tmp_path_factory.mktemp("cdk.out")
    context = {
        TARGET_CONTEXT: "localstack",
        JWKS_CONTEXT: json.dumps(JWKS),
        TOKEN_DEPS_CONTEXT: str(token_deps),
    }
    app, stack = build_app(deps_dir=deps, outdir=str(outdir), context=context)
    app.synth()
    return json.loads((outdir / stack.template_file).read_text()), outdir


def test_leaves_out_only_what_localstack_core_lacks(
    variant: tuple[dict[str, Any], Path], synth: Any
) -> None:
    template, _ = variant
    kinds = {r["Type"] for r in template["Resources"].values()}
    aws_kinds = {r["Type"] for r in synth.resources.values()}
    assert aws_kinds >= LEFT_OUT  # the AWS stack has them all
    assert not LEFT_OUT & kinds
    assert aws_kinds - LEFT_OUT <= kinds  # and the variant everything else
    assert {"UserPoolId", "UserPoolClientId"}.isdisjoint(template["Outputs"])


def test_the_api_function_checks_tokens_itself(variant: tuple[dict[str, Any], Path]) -> None:
    template, outdir = variant
    resources = template["Resources"].values()
    functions = [r["Properties"] for r in resources if r["Type"] == "AWS::Lambda::Function"]
    (api,) = [f for f in functions if f["Handler"] == VERIFYING_HANDLER]
    assert json.loads(api["Environment"]["Variables"]["SEATLEDGER_JWKS"]) == JWKS
    assert len(api["Layers"]) == 2  # the dependencies, and PyJWT
    methods = [r["Properties"] for r in resources if r["Type"] == "AWS::ApiGateway::Method"]
    assert {m["AuthorizationType"] for m in methods} == {"NONE"}
    asset = outdir / f"asset.{api['Code']['S3Key'].removesuffix('.zip')}"
    assert (asset / "local" / "verified_api.py").is_file()  # the variant's asset only
