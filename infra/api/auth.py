"""Who is calling: the claims API Gateway's Cognito authorizer verified, as a `Caller`.

The gateway (on AWS) or `make up`'s adapter (locally) has already refused a missing or invalid
token and put the verified token's claims in ``requestContext.authorizer.claims``; this module
only reads them. It never sees a token, and never verifies one.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.untrusted import CONTROL

ORGANIZERS = "organizers"  # the Cognito group whose members create shows and read any order
ME = "me"  # /customers/me/orders: the caller's own


class AccessError(Exception):
    """A refusal on who the caller is (mapped to HTTP in errors.py, with the domain's errors)."""


class Unauthorized(AccessError):
    """No verified identity came with the request (401)."""


class Forbidden(AccessError):
    """The caller is known, and may not do this (403)."""


@dataclass(frozen=True)
class Caller:
    subject: str  # the token's `sub`: the customer id of the caller's orders
    is_organizer: bool

    def require_organizer(self) -> None:
        if not self.is_organizer:
            raise Forbidden(f"Only members of the {ORGANIZERS!r} group may do this")

    def may_read(self, customer_id: str) -> bool:
        return self.is_organizer or customer_id == self.subject


def groups_of(value: Any) -> set[str]:
    """`cognito:groups` in any form it arrives in.

    In the ID token it is a JSON array. API Gateway's Cognito authorizer for REST APIs passes
    every claim as a string: one group arrives as "organizers" (as reported on AWS re:Post,
    "AWS Cognito Group"); for several, reports differ between "a,b" (aws/chalice#783) and
    "[a b]" (as API Gateway's JWT authorizer renders arrays). All of them are accepted.
    """
    if isinstance(value, list | tuple):
        return {str(v) for v in value}
    if not isinstance(value, str):
        return set()
    text = value.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    return {g for g in re.split(r"[,\s]+", text) if g}


def caller_of(event: Mapping[str, Any]) -> Caller:
    """The caller of a REST API proxy event, from its verified claims."""
    context = event.get("requestContext") or {}
    authorizer = context.get("authorizer") or {}
    claims = authorizer.get("claims") if isinstance(authorizer, Mapping) else None
    if not isinstance(claims, Mapping):
        raise Unauthorized("Send Authorization: Bearer <token>")
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip():
        raise Unauthorized("The token names no subject")
    if CONTROL.search(subject) or len(subject) > 200:  # it becomes a customer id: shown, logged
        raise Unauthorized("The token's subject has control characters or is over 200 long")
    return Caller(subject, ORGANIZERS in groups_of(claims.get("cognito:groups")))
