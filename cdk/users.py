"""Who may call the API: a Cognito user pool, its app client, and the organizers group.

Customers sign themselves up (a buyer must be able to exist without an administrator); being a
user grants only one's own orders. Organizer rights come from the `organizers` group alone, which
only an administrator can add a user to.
"""

from __future__ import annotations

from aws_cdk import Duration, RemovalPolicy
from aws_cdk import aws_cognito as cognito
from constructs import Construct

from cdk.nag import suppress
from infra.api.auth import ORGANIZERS


class Users(Construct):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.pool = cognito.UserPool(
            self,
            "Pool",
            self_sign_up_enabled=True,
            sign_in_aliases=cognito.SignInAliases(email=True),
            auto_verify=cognito.AutoVerifiedAttrs(email=True),
            standard_attributes=cognito.StandardAttributes(
                email=cognito.StandardAttribute(required=True, mutable=True)
            ),
            password_policy=cognito.PasswordPolicy(
                min_length=12,
                require_lowercase=True,
                require_uppercase=True,
                require_digits=True,
                require_symbols=True,
            ),
            mfa=cognito.Mfa.OPTIONAL,
            mfa_second_factor=cognito.MfaSecondFactor(otp=True, sms=False),
            account_recovery=cognito.AccountRecovery.EMAIL_ONLY,
            feature_plan=cognito.FeaturePlan.ESSENTIALS,
            deletion_protection=True,
            removal_policy=RemovalPolicy.RETAIN,  # the users' accounts outlive the stack
        )
        # A public client (no secret): a browser or phone app signs in with it. Password auth is
        # allowed beside SRP so that `aws cognito-idp initiate-auth` can fetch a token.
        self.client = self.pool.add_client(
            "ApiClient",
            generate_secret=False,
            auth_flows=cognito.AuthFlow(user_srp=True, user_password=True),
            disable_o_auth=True,  # no hosted UI or redirect URLs: tokens come from sign-in calls
            prevent_user_existence_errors=True,
            id_token_validity=Duration.hours(1),
            access_token_validity=Duration.hours(1),
            refresh_token_validity=Duration.days(30),
            enable_token_revocation=True,
        )
        self.organizers = cognito.UserPoolGroup(
            self,
            "Organizers",
            user_pool=self.pool,
            group_name=ORGANIZERS,
            description="seatledger organizers: create shows, read any order",
        )
        suppress(
            self.pool,
            "COG2",
            "MFA is optional (TOTP): buyers cannot be made to enrol before an on-sale, and "
            "Cognito cannot require MFA for one group only; organizers are asked to enrol "
            "(DEPLOY.md).",
        )
        suppress(
            self.pool,
            "COG8",
            "The Essentials plan: threat protection (compromised credentials, adaptive sign-in) "
            "needs the Plus plan, priced per monthly active user; a product decision, left "
            "off for now (DEPLOY.md).",
        )
