"""Who may call the deployed API: the Cognito user pool, and its authorizer on every method but
the public ones. The public set is stated here on its own, not read from infra.api.endpoints."""

from __future__ import annotations

import json
from typing import Any

from infra.api.endpoints import ENDPOINTS
from tests.cdk.conftest import Synthesized, arn, ref

PUBLIC = {
    ("GET", "/"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
    ("GET", "/shows"),
    ("GET", "/shows/{show_id}"),
    ("GET", "/shows/{show_id}/seats"),
    ("GET", "/shows/{show_id}/seats/compact"),
}
PROTECTED = {
    ("POST", "/shows"),
    ("POST", "/shows/{show_id}/orders"),
    ("GET", "/orders/{order_id}"),
    ("POST", "/orders/{order_id}/cancel"),
    ("GET", "/customers/{customer_id}/orders"),
}


def _path(synth: Synthesized, resource: Any) -> str:
    """A method's or resource's path, from the chain of resources up to the API's root."""
    if "Fn::GetAtt" in resource:  # the root resource
        return ""
    props = synth.resources[resource["Ref"]]["Properties"]
    return f"{_path(synth, props['ParentId'])}/{props['PathPart']}"


def methods(synth: Synthesized) -> dict[tuple[str, str], dict[str, Any]]:
    found = {}
    for method in synth.of_type("AWS::ApiGateway::Method").values():
        props = method["Properties"]
        found[props["HttpMethod"], _path(synth, props["ResourceId"]) or "/"] = props
    return found


def authorizer_id(synth: Synthesized) -> str:
    (found,) = synth.of_type("AWS::ApiGateway::Authorizer").items()
    return found[0]


def test_every_deployed_route_has_a_method_and_nothing_else(synth: Synthesized) -> None:
    assert set(methods(synth)) == PUBLIC | PROTECTED
    assert {(e.method, e.path) for e in ENDPOINTS if not e.local_only} == PUBLIC | PROTECTED


def test_every_protected_method_has_the_cognito_authorizer(synth: Synthesized) -> None:
    found = methods(synth)
    for key in PROTECTED:
        assert found[key]["AuthorizationType"] == "COGNITO_USER_POOLS", key
        assert found[key]["AuthorizerId"] == ref(authorizer_id(synth)), key


def test_public_methods_have_no_authorizer(synth: Synthesized) -> None:
    found = methods(synth)
    for key in PUBLIC:
        assert found[key]["AuthorizationType"] == "NONE", key
        assert "AuthorizerId" not in found[key], key


def test_the_authorizer_reads_the_bearer_header_against_the_user_pool(
    synth: Synthesized,
) -> None:
    (pool_id,) = synth.of_type("AWS::Cognito::UserPool")
    props = synth.resources[authorizer_id(synth)]["Properties"]
    assert props["Type"] == "COGNITO_USER_POOLS"
    assert props["ProviderARNs"] == [arn(pool_id)]
    assert props["IdentitySource"] == "method.request.header.Authorization"


def test_the_user_pool_lets_customers_sign_up_and_keeps_organizers_a_group(
    synth: Synthesized,
) -> None:
    ((pool_id, pool),) = synth.of_type("AWS::Cognito::UserPool").items()
    props = pool["Properties"]
    assert props["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is False  # self sign-up
    assert props["UsernameAttributes"] == ["email"] and props["AutoVerifiedAttributes"] == ["email"]
    assert props["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    assert props["DeletionProtection"] == "ACTIVE" and pool["DeletionPolicy"] == "Retain"
    (client,) = synth.of_type("AWS::Cognito::UserPoolClient").values()
    assert client["Properties"]["UserPoolId"] == ref(pool_id)
    assert not client["Properties"].get("GenerateSecret")
    assert not client["Properties"].get("AllowedOAuthFlows")
    (group,) = synth.of_type("AWS::Cognito::UserPoolGroup").values()
    assert group["Properties"]["GroupName"] == "organizers"
    assert group["Properties"]["UserPoolId"] == ref(pool_id)


def test_the_stack_outputs_what_a_client_signs_in_with(synth: Synthesized) -> None:
    outputs = json.loads(synth.template_path.read_text())["Outputs"]
    assert {"ApiUrl", "UserPoolId", "UserPoolClientId"} <= set(outputs)


def test_the_gateways_own_refusals_have_the_apis_error_shape(synth: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) >= {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"}
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    body = json.loads(unauthorized["ResponseTemplates"]["application/json"])
    assert set(body) == {"error", "reason"} and body["error"] == "Unauthorized"
    for props in responses.values():
        body = props["ResponseTemplates"]["application/json"]
        assert body.startswith('{"error": ') and '"reason": ' in body


def test_gzip_answers_reach_the_client_as_bytes(synth: Synthesized) -> None:
    """The function answers gzip base64-encoded; the gateway decodes it only for binary media
    types matched against the first Accept type, which browsers do not control: */*."""
    (api,) = synth.of_type("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["BinaryMediaTypes"] == ["*/*"]
