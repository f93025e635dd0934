"""Shows as a resource, sectioned venues, and a 50,000-seat map on the wire, through `make up`'s
stack over HTTP."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request

from tests.e2e.conftest import Api
from tests.e2e.test_ledger_api import final, order
from tests.problems import kind

STANDS = [
    {"name": "north", "rows": ["A", "B"], "seats_per_row": 6, "price_cents": 5000},
    {"name": "south", "rows": ["A", "B"], "seats_per_row": 6, "price_cents": 3000},
]


def create(api: Api, name: str, sections: list[dict[str, object]]) -> str:
    status, body = api.call(
        "POST", "/shows", {"name": name, "sections": sections}, token=api.organizer
    )
    assert status == 201, body
    return str(body["show_id"])


def get(api: Api, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and the body's bytes as they came over the wire (not decompressed)."""
    request = urllib.request.Request(api.url + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, dict(answer.headers.items()), answer.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers.items()), e.read()


def test_two_stands_with_the_same_rows_are_placed_and_sold(stack: Api) -> None:
    # GIVEN north and south stands, each with rows A and B
    show = create(stack, "Derby", STANDS)
    # WHEN seat A-1 of each stand is bought
    north = order(stack, show, "nia", ["north-A-1"], "tok_visa")
    south = order(stack, show, "sol", ["south-A-1"], "tok_visa")
    # THEN both are sold, each at its stand's price
    assert final(stack, north)["amount_cents"] == 5000
    assert final(stack, south)["amount_cents"] == 3000
    assert final(stack, north)["status"] == final(stack, south)["status"] == "CONFIRMED"
    seats = stack.wait_for(
        f"/shows/{show}/seats",
        lambda m: sum(s["status"] == "SOLD" for s in m["seats"]) == 2,
    )["seats"]
    sold = {(s["section"], s["label"], s["price_cents"]) for s in seats if s["status"] == "SOLD"}
    assert sold == {("north", "north-A-1", 5000), ("south", "south-A-1", 3000)}
    # ... and the show reads as a resource, counted per status
    status, found = stack.call("GET", f"/shows/{show}")
    assert status == 200, found
    assert found["seats"] == {"free": 22, "held": 0, "sold": 2}
    assert found["seat_count"] == 24 and found["name"] == "Derby"
    assert found["sections"] == [
        {"name": "north", "seat_count": 12, "prices_cents": [5000]},
        {"name": "south", "seat_count": 12, "prices_cents": [3000]},
    ]
    status, missing = stack.call("GET", "/shows/3f1c1a52-0000-4000-8000-00000000dead")
    assert (status, kind(missing)) == (404, "unknown-show")
    # ... and an old-style label names no seat of a sectioned show
    refused = stack.call(
        "POST",
        f"/shows/{show}/orders",
        {"seats": ["A-1"], "payment_token": "tok_visa"},
        {"Idempotency-Key": "nia-old-label"},
        token=stack.token("nia"),
    )
    assert refused[0] == 422 and kind(refused[1]) == "unknown-seat", refused


def test_shows_are_listed_newest_first_a_page_at_a_time(stack: Api) -> None:
    ids = [create(stack, f"Listed {i}", STANDS[:1]) for i in range(3)]
    first = stack.wait_for("/shows?limit=2", lambda p: p["shows"][0]["show_id"] == ids[2])
    assert [s["show_id"] for s in first["shows"]] == [ids[2], ids[1]]
    assert first["shows"][0]["name"] == "Listed 2" and first["shows"][0]["seat_count"] == 12
    status, second = stack.call("GET", f"/shows?limit=2&cursor={first['next_cursor']}")
    assert status == 200, second
    assert second["shows"][0]["show_id"] == ids[0]
    # following cursors to the end lists every show once, newest first
    seen, cursor = [], None
    while True:
        status, page = stack.call("GET", "/shows?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        assert status == 200, page
        seen += [(s["created_at"], s["show_id"]) for s in page["shows"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) and seen == sorted(seen, reverse=True)
    assert {i for _, i in seen} >= set(ids)
    status, refused = stack.call("GET", "/shows?cursor=bm90LWEtY3Vyc29y")
    assert status == 422 and refused["detail"], refused


def test_a_50000_seat_map_is_small_on_the_wire_and_304_when_unchanged(stack: Api) -> None:
    rows = [a + b for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJKLMNOPQRST"]  # 200 rows
    show = create(
        stack,
        "Stadium",
        [
            {"name": "north", "rows": rows[:100], "seats_per_row": 250, "price_cents": 9000},
            {"name": "south", "rows": rows[100:], "seats_per_row": 250, "price_cents": 4500},
        ],
    )
    path = f"/shows/{show}/seats/compact"
    status, headers, wire = get(stack, path, {"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    compact = json.loads(gzip.decompress(wire))
    assert len(compact["status"]) == 50_000 and set(compact["status"]) == {"F"}
    assert [s["name"] for s in compact["sections"]] == ["north", "south"]
    full_status, full_headers, full_wire = get(
        stack, f"/shows/{show}/seats", {"Accept-Encoding": "gzip"}
    )
    plain = get(stack, path, {})[2]
    print(
        f"50,000-seat map: compact {len(plain)} B plain, {len(wire)} B gzip; full "
        f"{len(gzip.decompress(full_wire))} B plain, {len(full_wire)} B gzip; target 307200 B"
    )
    assert len(wire) <= 300 * 1024
    # WHEN asked again with its ETag THEN nothing but headers comes back
    for route, tag in ((path, headers["ETag"]), (f"/shows/{show}/seats", full_headers["ETag"])):
        again = get(stack, route, {"Accept-Encoding": "gzip", "If-None-Match": tag})
        assert (again[0], again[2]) == (304, b""), route
        assert again[1]["ETag"] == tag
    # ... and a change of the map changes its ETag
    sold = order(stack, show, "max", ["north-AA-1"], "tok_visa")
    assert final(stack, sold)["status"] == "CONFIRMED"
    stack.wait_for(path, lambda m: m["status"][0] == "S")
    changed = get(stack, path, {"If-None-Match": headers["ETag"]})
    assert changed[0] == 200 and changed[1]["ETag"] != headers["ETag"]
