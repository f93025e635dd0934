"""Claims -> caller: what the handler believes about who is calling (infra/api/auth.py)."""

from __future__ import annotations

from typing import Any

import pytest

from infra.api.auth import Caller, Forbidden, Unauthorized, caller_of, groups_of


def event(claims: Any) -> dict[str, Any]:
    return {"requestContext": {"authorizer": {"claims": claims}}}


@pytest.mark.parametrize(
    "groups",
    [
        ["organizers"],  # the ID token's own array
        "organizers",  # one group, as API Gateway's REST authorizer passes it
        "sales,organizers",  # several, comma-separated
        "[sales organizers]",  # several, as API Gateway renders an array
        " organizers ",
    ],
)
def test_organizers_in_every_form_the_group_claim_arrives(groups: Any) -> None:
    caller = caller_of(event({"sub": "ann", "cognito:groups": groups}))
    assert caller == Caller("ann", is_organizer=True)


@pytest.mark.parametrize(
    "groups", [None, "", "[]", "sales", ["sales"], "organizers-lite", "[organizerss]", 7]
)
def test_anything_else_is_a_customer(groups: Any) -> None:
    claims = {"sub": "ann"} if groups is None else {"sub": "ann", "cognito:groups": groups}
    assert caller_of(event(claims)) == Caller("ann", is_organizer=False)


@pytest.mark.parametrize(
    "raw",
    [
        {},
        {"requestContext": {}},
        {"requestContext": {"authorizer": None}},
        {"requestContext": {"authorizer": {"principalId": "x"}}},
        event(None),
        event("sub=ann"),
        event({}),
        event({"sub": ""}),
        event({"sub": "  "}),
        event({"sub": 5}),
        event({"cognito:groups": "organizers"}),  # a group but nobody
    ],
)
def test_no_verified_subject_is_401(raw: dict[str, Any]) -> None:
    with pytest.raises(Unauthorized):
        caller_of(raw)


def test_a_customer_reads_only_their_own_and_an_organizer_any() -> None:
    ann, org = Caller("ann", False), Caller("org", True)
    assert ann.may_read("ann") and not ann.may_read("bob") and not ann.may_read("ANN")
    assert org.may_read("ann") and org.may_read("org")
    with pytest.raises(Forbidden):
        ann.require_organizer()
    org.require_organizer()


def test_groups_of_splits_on_commas_and_spaces_only() -> None:
    assert groups_of("[a b,c]") == {"a", "b", "c"}
    assert groups_of(("a",)) == {"a"}
    assert groups_of({"organizers": True}) == set()


@pytest.mark.parametrize("subject", ["mallory\x1b[2J", "a\x00b", "x" * 201])
def test_a_subject_that_would_be_printed_raw_is_refused(subject: str) -> None:
    """The subject becomes a customer id, shown by the CLI and written to logs."""
    with pytest.raises(Unauthorized):
        caller_of(event({"sub": subject}))
