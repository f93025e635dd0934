"""`publish` against botocore's Stubber: every request it sends is checked, in order."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from infra.publisher import MAX_REQUEST_BYTES, PublishError, entry_size, publish
from infra.retry import Backoff


def entry(n: int, detail: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "EventBusName": "seatledger",
        "Source": "seatledger.test",
        "DetailType": f"Thing{n}",
        "Detail": json.dumps(detail or {"n": n}),
    }


def ok(count: int) -> dict[str, Any]:
    return {"FailedEntryCount": 0, "Entries": [{"EventId": f"e{i}"} for i in range(count)]}


def answer(*codes: str | None) -> dict[str, Any]:
    entries = [{"ErrorCode": c, "ErrorMessage": f"{c}!"} if c else {"EventId": "e"} for c in codes]
    return {"FailedEntryCount": sum(1 for c in codes if c), "Entries": entries}


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    client = boto3.client(
        "events", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def test_publish_retries_only_the_failed_entries(stubbed: tuple[Any, Stubber]) -> None:
    # GIVEN a request in which the second of three entries is throttled
    client, stubber = stubbed
    entries = [entry(0), entry(1), entry(2)]
    stubber.add_response(
        "put_events", answer(None, "ThrottlingException", None), {"Entries": entries}
    )
    stubber.add_response("put_events", ok(1), {"Entries": [entries[1]]})
    sleeps: list[float] = []
    # WHEN published
    publish(client, entries, sleep=sleeps.append)
    # THEN only that entry was sent again, after one backoff sleep
    assert len(sleeps) == 1


def test_publish_raises_naming_what_still_fails(stubbed: tuple[Any, Stubber]) -> None:
    # GIVEN an entry that fails with a transient code on every attempt
    client, stubber = stubbed
    entries = [entry(0), entry(1)]
    stubber.add_response("put_events", answer(None, "InternalFailure"), {"Entries": entries})
    for _ in range(2):
        stubber.add_response("put_events", answer("InternalFailure"), {"Entries": [entries[1]]})
    sleeps: list[float] = []
    # WHEN published with three attempts
    with pytest.raises(PublishError) as raised:
        publish(client, entries, backoff=Backoff(attempts=3, base=0.1, cap=1), sleep=sleeps.append)
    # THEN it gave up after the bounded attempts, with jittered growing sleeps, naming the entry
    assert len(sleeps) == 2 and 0 <= sleeps[0] <= 0.1 and 0 <= sleeps[1] <= 0.2
    assert [(f.index, f.code) for f in raised.value.failed] == [(1, "InternalFailure")]
    assert "#1 seatledger.test/Thing1: InternalFailure" in str(raised.value)


def test_publish_does_not_retry_a_permanent_entry_error(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    entries = [entry(0)]
    stubber.add_response("put_events", answer("MalformedDetail"), {"Entries": entries})
    with pytest.raises(PublishError) as raised:
        publish(client, entries, sleep=lambda s: None)
    assert [f.code for f in raised.value.failed] == ["MalformedDetail"]


def test_publish_retries_a_throttled_request(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    entries = [entry(0), entry(1)]
    stubber.add_client_error(
        "put_events", "ThrottlingException", expected_params={"Entries": entries}
    )
    stubber.add_response("put_events", ok(2), {"Entries": entries})
    publish(client, entries, sleep=lambda s: None)


def test_publish_sends_at_most_ten_entries_per_request(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    entries = [entry(n) for n in range(23)]
    for group in (entries[:10], entries[10:20], entries[20:]):
        stubber.add_response("put_events", ok(len(group)), {"Entries": group})
    publish(client, entries, sleep=lambda s: None)


def test_publish_keeps_each_request_within_256_kb(stubbed: tuple[Any, Stubber]) -> None:
    # GIVEN entries of about 100 KB: two fit in one request, three do not
    client, stubber = stubbed
    entries = [entry(n, {"pad": "x" * 100_000}) for n in range(5)]
    assert 2 * entry_size(entries[0]) <= MAX_REQUEST_BYTES < 3 * entry_size(entries[0])
    for group in (entries[:2], entries[2:4], entries[4:]):
        stubber.add_response("put_events", ok(len(group)), {"Entries": group})
    publish(client, entries, sleep=lambda s: None)


def test_publish_reports_an_entry_too_large_for_any_request(stubbed: tuple[Any, Stubber]) -> None:
    # GIVEN one sendable entry and one over the request limit on its own
    client, stubber = stubbed
    entries = [entry(0), entry(1, {"pad": "x" * MAX_REQUEST_BYTES})]
    stubber.add_response("put_events", ok(1), {"Entries": [entries[0]]})
    # THEN the first is sent and the second is reported, never sent
    with pytest.raises(PublishError) as raised:
        publish(client, entries, sleep=lambda s: None)
    assert [(f.index, f.code) for f in raised.value.failed] == [(1, "EntryTooLarge")]
