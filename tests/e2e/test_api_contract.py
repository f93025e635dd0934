"""The API's contract as a client meets it: problem documents for every refusal, 405 with
Allow for a method a path lacks, Location on what was created or accepted, cursors on lists,
and a spec that lists what each operation answers. (Every answer any e2e test gets is also
checked against the spec: conftest's `answers_conform_to_the_spec`.)"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from typing import Any

import pytest
from schemathesis.core.failures import FailureGroup

from tests.e2e.conformance import check
from tests.e2e.conftest import Api
from tests.problems import kind


def _problem(
    stack: Api, method: str, path: str, body: Any = None, token: str | None = None
) -> tuple[int, dict[str, str], dict[str, Any]]:
    answer = stack.send(method, path, body, token=token)
    body = json.loads(answer.content)
    assert answer.headers["Content-Type"] == "application/problem+json", answer
    assert {"type", "title", "status", "detail"} <= set(body) and body["status"] == answer.status
    return answer.status, answer.headers, body


def test_refusals_are_problem_documents_unknown_routes_and_methods_included(stack: Api) -> None:
    status, _, body = _problem(stack, "GET", "/no/such/route")
    assert (status, kind(body)) == (404, "not-found")
    for method in ("DELETE", "PUT", "PATCH"):
        status, headers, body = _problem(stack, method, "/shows")
        assert (status, kind(body)) == (405, "method-not-allowed"), body
        assert set(headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS", "POST"}
    status, _, body = _problem(stack, "GET", "/shows/not-a-uuid")
    assert (status, kind(body)) == (422, "validation-error")
    assert body["errors"][0]["path"] == "show_id", body
    token = stack.organizer
    status, _, body = _problem(stack, "POST", "/shows", {"name": ""}, token=token)
    assert status == 422 and {"pointer": "#/name"}.items() <= body["errors"][0].items(), body


def test_what_is_created_or_accepted_says_where_it_is(stack: Api) -> None:
    seats = [{"label": "L-1", "price_cents": 100}, {"label": "L-2", "price_cents": 100}]
    created = stack.send(
        "POST", "/shows", {"name": "located", "seats": seats}, token=stack.organizer
    )
    show_id = json.loads(created.content)["show_id"]
    assert (created.status, created.headers["Location"]) == (201, f"/shows/{show_id}")
    assert stack.call("GET", created.headers["Location"])[1]["show_id"] == show_id

    buyer = stack.token(f"located-{uuid.uuid4().hex[:8]}")
    body = {"seats": ["L-1"], "payment_token": "tok_visa"}
    accepted = stack.send(
        "POST", f"/shows/{show_id}/orders", body, {"Idempotency-Key": "k1"}, token=buyer
    )
    order_id = json.loads(accepted.content)["order_id"]
    assert (accepted.status, accepted.headers["Location"]) == (202, f"/orders/{order_id}")
    assert stack.call("GET", accepted.headers["Location"], token=buyer)[1]["order_id"] == order_id


def test_a_customers_orders_come_a_page_at_a_time(stack: Api) -> None:
    seats = [{"label": f"P-{n}", "price_cents": 100} for n in range(1, 4)]
    _, made = stack.call("POST", "/shows", {"name": "paged", "seats": seats}, token=stack.organizer)
    buyer = stack.token(f"paged-{uuid.uuid4().hex[:8]}")
    placed = []
    for n in range(1, 4):
        body = {"seats": [f"P-{n}"], "payment_token": "tok_visa"}
        path = f"/shows/{made['show_id']}/orders"
        placed.append(stack.call("POST", path, body, {"Idempotency-Key": f"p{n}"}, token=buyer)[1])
    stack.wait_for(
        "/customers/me/orders?limit=100",
        lambda page: len(page["orders"]) == 3,
        token=buyer,
    )
    _, first = stack.call("GET", "/customers/me/orders?limit=2", token=buyer)
    assert len(first["orders"]) == 2 and first["next_cursor"]
    _, second = stack.call(
        "GET", f"/customers/me/orders?limit=2&cursor={first['next_cursor']}", token=buyer
    )
    assert len(second["orders"]) == 1 and second["next_cursor"] is None
    listed = [o["order_id"] for o in first["orders"] + second["orders"]]
    assert listed == [p["order_id"] for p in placed]  # oldest first, each once

    _, shows = stack.call("GET", "/shows?limit=1")
    status, _, body = _problem(
        stack, "GET", f"/customers/me/orders?cursor={shows['next_cursor']}", token=buyer
    )
    assert (status, kind(body)) == (422, "validation-error")  # another list's cursor


def test_the_spec_lists_each_operations_answers(stack: Api) -> None:
    _, spec = stack.call("GET", "/openapi.json")
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            answers = set(operation["responses"])
            assert {"422", "429", "503"} <= answers, (method, path)
            assert operation["summary"], (method, path)
            if method == "post":
                assert {"400", "413", "415"} <= answers, path
                success = next(a for a in answers if a in ("201", "202"))
                assert "Location" in operation["responses"][success]["headers"], path
            if operation.get("security"):
                assert "401" in answers, (method, path)
            for code, answer in operation["responses"].items():
                if code >= "400":
                    assert "application/problem+json" in answer["content"], (method, path, code)
    page = stack.send("GET", "/docs")
    assert page.status == 200 and b"swagger" in page.content.lower()


def test_an_answer_off_the_spec_is_caught(stack: Api) -> None:
    """The spec check that runs after every e2e test can fail: a list answered in another
    shape, an undocumented status, a wrong content type."""
    good = stack.send("GET", "/shows?limit=1")
    assert check(stack.url, good)
    for bad in (
        replace(good, content=b'{"items": []}'),
        replace(good, status=418),
        replace(good, headers={**good.headers, "Content-Type": "text/plain"}),
    ):
        with pytest.raises(FailureGroup):
            check(stack.url, bad)
