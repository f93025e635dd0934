"""The REST API: API Gateway (proxy to one Lambda) with throttling, validation and access logs.

One method per route of `infra.api.endpoints`: the public ones open, every other one behind the
user pool's Cognito authorizer, which refuses a missing or invalid token before the function
runs and hands it the verified claims. Refusals by the gateway itself are problem documents,
as the function's are (`infra.api.problems`).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_apigateway as apigw
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from cdk.access import grant_tables
from cdk.functions import RUNTIME, LambdaCode, ServiceFunction
from cdk.nag import suppress
from cdk.refusals import GATEWAY_REFUSALS, refusal_template
from cdk.storage import Storage
from cdk.users import Users
from cdk.variant import JWKS_VAR, VERIFYING_HANDLER, LocalStackVariant
from infra.api.endpoints import ENDPOINTS
from infra.api.problems import MEDIA_TYPE

HANDLER = "handlers.api.handler"
TIMEOUT = Duration.seconds(25)  # under API Gateway's 29 s integration limit
STAGE = "v1"
RATE_LIMIT = 200  # requests per second, steady, for the whole stage
BURST_LIMIT = 400
AUTHORIZER_CACHE = Duration.minutes(5)  # a token's verdict, reused for this long


class Api(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        code: LambdaCode,
        storage: Storage,
        users: Users | None,
        environment: Mapping[str, str],
        variant: LocalStackVariant | None = None,
    ) -> None:
        """`users`: whose tokens the Cognito authorizer accepts; None in the LocalStack
        `variant`, whose function verifies tokens itself."""
        super().__init__(scope, id)
        self.handler = ServiceFunction(
            self,
            "Handler",
            code=code,
            handler=VERIFYING_HANDLER if variant else HANDLER,
            service="api",
            environment={**environment, JWKS_VAR: variant.jwks} if variant else environment,
            timeout=TIMEOUT,
        )
        if variant:
            self.handler.function.add_layers(
                lambda_.LayerVersion(
                    self,
                    "TokenDependencies",
                    code=lambda_.Code.from_asset(str(variant.token_deps)),
                    compatible_runtimes=[RUNTIME],
                    description="PyJWT, for the LocalStack variant's token check",
                )
            )
        grant_tables(storage, HANDLER, self.handler)
        access_logs = logs.LogGroup(
            self,
            "AccessLogs",
            retention=logs.RetentionDays.THREE_MONTHS,
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.rest_api = apigw.RestApi(
            self,
            "RestApi",
            description="seatledger ticketing API",
            endpoint_types=[apigw.EndpointType.REGIONAL],
            # The seat maps answer gzip (Powertools' compress=True: a base64 body flagged
            # isBase64Encoded), which the gateway decodes only for binary media types, matched
            # against the request's first Accept type: browsers send several, hence */*. Request
            # bodies then reach the function base64-encoded; Powertools decodes them.
            binary_media_types=["*/*"],
            # Execution logs need the account-level API Gateway role (one per region).
            cloud_watch_role=True,
            deploy_options=apigw.StageOptions(
                stage_name=STAGE,
                throttling_rate_limit=RATE_LIMIT,
                throttling_burst_limit=BURST_LIMIT,
                access_log_destination=apigw.LogGroupLogDestination(access_logs),
                access_log_format=apigw.AccessLogFormat.json_with_standard_fields(
                    caller=True,
                    http_method=True,
                    ip=True,
                    protocol=True,
                    request_time=True,
                    resource_path=True,
                    response_length=True,
                    status=True,
                    user=True,
                ),
                logging_level=apigw.MethodLoggingLevel.ERROR,
                data_trace_enabled=False,  # bodies carry payment tokens
                metrics_enabled=True,
                tracing_enabled=True,
            ),
        )
        # The handler validates bodies against its pydantic models; the gateway rejects
        # requests that miss a declared path parameter before they cost an invocation.
        validator = self.rest_api.add_request_validator(
            "Validator", validate_request_parameters=True, validate_request_body=True
        )
        integration = apigw.LambdaIntegration(self.handler.function)
        self.authorizer = (
            apigw.CognitoUserPoolsAuthorizer(
                self,
                "Authorizer",
                cognito_user_pools=[users.pool],
                identity_source=apigw.IdentitySource.header("Authorization"),
                results_cache_ttl=AUTHORIZER_CACHE,
            )
            if users
            else None
        )
        for endpoint in ENDPOINTS:
            if endpoint.local_only:
                continue
            public = endpoint.public or self.authorizer is None
            method = self.rest_api.root.resource_for_path(endpoint.path).add_method(
                endpoint.method,
                integration,
                request_validator=validator,
                request_parameters={f"method.request.path.{p}": True for p in endpoint.parameters}
                or None,
                authorizer=None if public else self.authorizer,
                authorization_type=apigw.AuthorizationType.NONE
                if public
                else apigw.AuthorizationType.COGNITO,
            )
            if public and not endpoint.public:
                for rule in ("APIG4", "COG4"):
                    suppress(method, rule, "LocalStack variant: the function checks the token.")
            elif public:
                for rule in ("APIG4", "COG4"):
                    suppress(
                        method,
                        rule,
                        "Public by design (infra.api.endpoints): the shows, their seat maps, "
                        "the page that draws them and the OpenAPI spec show no customer's "
                        "data. Stage "
                        "throttling and the WAF rate rule bound abuse.",
                    )
        self._refuse_other_methods(integration, validator)
        for name, response_type, status, kind, detail in GATEWAY_REFUSALS:
            headers = {"Content-Type": f"'{MEDIA_TYPE}'"}
            if status == "401":
                headers["WWW-Authenticate"] = "'Bearer'"
            self.rest_api.add_gateway_response(
                name,
                type=response_type,
                status_code=status,
                response_headers=headers,
                templates={"application/json": refusal_template(status, kind, detail)},
            )
        suppress(
            self.rest_api,
            "IAM4",
            "The account-level API Gateway logging role uses AWS's "
            "AmazonAPIGatewayPushToCloudWatchLogs policy, the documented setup for it.",
            "Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonAPIGatewayPushToCloudWatchLogs",
        )

    def _refuse_other_methods(
        self, integration: apigw.LambdaIntegration, validator: apigw.RequestValidator
    ) -> None:
        """Each route's path answers the methods it does not serve with 405 and `Allow` (the
        function's answer), not the gateway's 404: an `ANY` method, which the gateway uses only
        when no method of the request's own is defined."""
        for path in dict.fromkeys(e.path for e in ENDPOINTS if not e.local_only):
            method = self.rest_api.root.resource_for_path(path).add_method(
                "ANY",
                integration,
                request_validator=validator,
                authorization_type=apigw.AuthorizationType.NONE,
            )
            for rule in ("APIG4", "COG4"):
                suppress(
                    method,
                    rule,
                    "Refusals only: ANY receives just the methods no route serves, and the "
                    "function answers each with 405 before reading anything.",
                )
