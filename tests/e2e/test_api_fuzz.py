"""OpenAPI-driven fuzzing of the running API (schemathesis): nothing a client sends gets a 5xx.

Valid and invalid inputs are generated from the API's own spec. (schemathesis' pytest plugin
does not run on this pytest; its strategies are driven with hypothesis directly.)
"""

from __future__ import annotations

from collections import Counter

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.e2e.conftest import Api

CASES = 30  # per operation and mode


def test_no_input_gets_a_server_error(stack: Api) -> None:
    schema = schemathesis.openapi.from_url(f"{stack.url}/openapi.json")
    statuses: Counter[int] = Counter()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=CASES,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
            )
            def call(case: schemathesis.Case) -> None:
                response = case.call(base_url=stack.url)
                statuses[response.status_code] += 1
                assert response.status_code < 500, (
                    case.method,
                    case.formatted_path,
                    case.headers,
                    case.body,
                    response.text,
                )

            call()
    print(f"fuzzed {sum(statuses.values())} requests: {dict(sorted(statuses.items()))}")
    assert statuses[201] + statuses[202] + statuses[200] > 0  # some inputs were valid
