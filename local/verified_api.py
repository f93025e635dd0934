"""The API function of the stack's LocalStack variant (cdk/variant.py), never on AWS.

LocalStack core runs no API Gateway authorizer, so this function does the Cognito authorizer's
part first, as `make up`'s adapter does: a route not marked public needs a bearer token that
verifies against the issuer's published keys (``SEATLEDGER_JWKS``), else 401; the verified
claims go where API Gateway puts them. Then `handlers.api` answers, unchanged.
"""

from __future__ import annotations

import json
import os
from typing import Any

from handlers.api import handler as api
from local.api import authorize
from local.auth import Verifier

verifier = Verifier(json.loads(os.environ["SEATLEDGER_JWKS"]))


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return authorize(event, verifier) or api(event, context)
