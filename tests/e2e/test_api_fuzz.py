"""OpenAPI-driven fuzzing of the running API (schemathesis): nothing a client sends gets a 5xx,
with a valid organizer's token and with none.

Valid and invalid inputs are generated from the API's own spec. (schemathesis' pytest plugin
does not run on this pytest; its strategies are driven with hypothesis directly.)
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from infra.api.endpoints import ENDPOINTS
from tests.e2e.conftest import Api

CASES = 30  # per operation and mode


def fuzz(stack: Api, token: str | None) -> Counter[tuple[bool, int]]:
    """(whether the operation is public, status) -> how many answers."""
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    statuses: Counter[tuple[bool, int]] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        (public,) = [
            e.public
            for e in ENDPOINTS
            if (e.method, e.path) == (operation.method.upper(), operation.path)
        ]
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=CASES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                # schemathesis makes up a bearer token for secured operations: ours replaces it
                headers = {
                    k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
                }
                if token is not None:
                    headers["Authorization"] = f"Bearer {token}"
                case.headers = headers
                response = case.call(base_url=stack.url)
                statuses[public, response.status_code] += 1  # noqa: B023 - run in this iteration
                assert response.status_code < 500, (
                    case.method,
                    case.formatted_path,
                    case.headers,
                    case.body,
                    response.text,
                )
                if response.status_code in (401, 403, 404, 422):
                    assert response.json()["reason"], response.text

            call()
    print(f"fuzzed {sum(statuses.values())} requests (public?, status): {dict(statuses)}")
    return statuses


def test_no_input_with_a_valid_token_gets_a_server_error(stack: Api) -> None:
    statuses = fuzz(stack, stack.organizer)
    assert sum(n for (_, s), n in statuses.items() if s in (200, 201, 202)) > 0  # some valid
    assert not [s for (public, s) in statuses if not public and s == 401]  # the token is good


def test_no_input_without_a_token_gets_a_server_error_or_past_the_gate(stack: Api) -> None:
    statuses = fuzz(stack, None)
    protected = {s for (public, s) in statuses if not public}
    assert 401 in protected and protected <= {401, 404}  # 404: a path that is no route
    unguarded = {s for (public, s) in statuses if public}
    assert unguarded and 401 not in unguarded  # the seat map asks for no token
