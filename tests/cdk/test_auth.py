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


# The other methods on a route's path reach the function only to be refused with 405.
REFUSING = {("ANY", path) for _, path in PUBLIC | PROTECTED}


def test_every_deployed_route_has_a_method_and_nothing_else(synth: Synthesized) -> None:
    assert set(methods(synth)) == PUBLIC | PROTECTED | REFUSING
    assert {(e.method, e.path) for e in ENDPOINTS if not e.local_only} == PUBLIC | PROTECTED


def test_any_other_method_goes_to_the_function_which_refuses_it() -> None:
    """What an ANY method hands the function is a method no route serves: a 405 with Allow,
    before any table is read (no DynamoDB here)."""
    from handlers.api import handler
    from local.runners.lambda_runtime import LocalContext

    for _, path in sorted(PROTECTED):
        concrete = path.replace("{show_id}", "3f1c1a52-0000-4000-8000-000000000001")
        concrete = concrete.replace("{order_id}", "3f1c1a52-0000-4000-8000-000000000002")
        concrete = concrete.replace("{customer_id}", "me")
        event = {"httpMethod": "DELETE", "path": concrete, "headers": {}, "body": None}
        event["requestContext"] = {"path": "/v1" + concrete}
        answer = handler(event, LocalContext("api"))
        headers = {k: v[-1] for k, v in answer["multiValueHeaders"].items()}
        assert answer["statusCode"] == 405, answer
        assert headers["Content-Type"] == "application/problem+json"
        allowed = headers["Allow"]
        assert allowed and "DELETE" not in allowed, answer


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


def test_the_gateways_own_refusals_are_problem_documents(synth: Synthesized) -> None:
    responses = {
        r["Properties"]["ResponseType"]: r["Properties"]
        for r in synth.of_type("AWS::ApiGateway::GatewayResponse").values()
    }
    assert set(responses) >= {"UNAUTHORIZED", "ACCESS_DENIED", "DEFAULT_4XX", "DEFAULT_5XX"}
    unauthorized = responses["UNAUTHORIZED"]
    assert unauthorized["StatusCode"] == "401"
    body = json.loads(unauthorized["ResponseTemplates"]["application/json"])
    assert body == {
        "type": "tag:seatledger,2026:unauthorized",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Send Authorization: Bearer <a valid ID token>",
    }
    for props in responses.values():
        assert props["ResponseParameters"]["gatewayresponse.header.Content-Type"] == (
            "'application/problem+json'"
        )
        # The gateway's message stands for a quoted string: the template is JSON once filled.
        body = props["ResponseTemplates"]["application/json"]
        filled = json.loads(body.replace("$context.error.messageString", '"a message"'))
        assert {"type", "title", "detail"} <= set(filled), body


def test_gzip_answers_reach_the_client_as_bytes(synth: Synthesized) -> None:
    """The function answers gzip base64-encoded; the gateway decodes it only for binary media
    types matched against the first Accept type, which browsers do not control: */*."""
    (api,) = synth.of_type("AWS::ApiGateway::RestApi").values()
    assert api["Properties"]["BinaryMediaTypes"] == ["*/*"]
