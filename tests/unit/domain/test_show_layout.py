"""Show layouts: labels, prices, validation, and the size of the stored created event."""

from __future__ import annotations

import json
from uuid import uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from domain.application import Ticketing
from domain.errors import InvalidShow, ShowTooLarge, UnknownSeat
from domain.layout import MAX_SEATS, bands_from, places_of, prices_of
from tests.apps import application

ROWS = [a + b for a in "ABCDEFGHIJ" for b in "ABCDEFGHIJKLMNOPQRST"]  # 200 rows


def fifty_thousand_seats(price_of: object) -> list[dict[str, object]]:
    assert callable(price_of)
    return [
        {"label": f"{row}-{n}", "price_cents": price_of(r, n)}
        for r, row in enumerate(ROWS)
        for n in range(1, 251)
    ]


def stored_size(app: Ticketing, show_id: object) -> int:
    [created] = app.events.get(show_id)  # type: ignore[arg-type]
    return len(app.mapper.to_stored_event(created).state)


def test_show_sections_expand_to_section_row_seat_labels_with_prices() -> None:
    app = application()
    show_id = app.create_show(
        uuid4(),
        "Opera",
        sections=[
            {"name": "Stalls", "rows": ["A", "B"], "seats_per_row": 20, "price_cents": 8000},
            {"name": "Circle", "rows": ["K"], "seats_per_row": 10, "price_cents": 3000},
        ],
    )
    show = app.get_show(show_id)
    assert show.seat_count == 50
    assert (show.price_of("Stalls-B-20"), show.price_of("Circle-K-1")) == (8000, 3000)
    for missing in ("Circle-K-11", "K-1", "B-20"):
        with pytest.raises(UnknownSeat):
            show.price_of(missing)


def test_sections_may_reuse_row_names() -> None:
    # GIVEN a stadium whose north and south stands both have rows A and B
    bands, count = bands_from(
        sections=[
            {"name": "north", "rows": ["A", "B"], "seats_per_row": 3, "price_cents": 5000},
            {"name": "south", "rows": ["A", "B"], "seats_per_row": 3, "price_cents": 3000},
        ]
    )
    # THEN each seat is its own, grouped by section with its price
    prices = prices_of(bands)
    assert count == 12 and len(prices) == 12
    assert (prices["north-A-1"], prices["south-A-1"], prices["south-B-3"]) == (5000, 3000, 3000)
    assert {(p.section, p.row, p.number) for p in places_of(bands)} >= {
        ("north", "A", 1),
        ("south", "A", 1),
    }


def test_listed_seats_take_labels_of_one_to_three_parts() -> None:
    seats = {"12": 100, "13": 100, "A-12": 200, "101-A-12": 300, "101-A-13": 300, "102-A-12": 300}
    bands, count = bands_from(seats=[{"label": k, "price_cents": v} for k, v in seats.items()])
    assert count == 6 and prices_of(bands) == seats
    assert {p.label: (p.section, p.row, p.number) for p in places_of(bands)} == {
        "12": ("", "", 12),
        "13": ("", "", 13),
        "A-12": ("", "A", 12),
        "101-A-12": ("101", "A", 12),
        "101-A-13": ("101", "A", 13),
        "102-A-12": ("102", "A", 12),
    }


def test_a_show_stored_before_sections_joined_labels_still_loads_and_sells() -> None:
    # GIVEN a ShowCreated as stored before: a section's bands, rows named plainly, no flag
    app = application()
    show_id = uuid4()
    old = {
        "timestamp": "2024-05-01T10:00:00+00:00",
        "originator_topic": "domain.show:Show",
        "name": "Old gig",
        "seat_count": 3,
        "price_bands": [
            {"name": "North Stand", "price_cents": 5000, "rows": [{"row": "A", "seats": "1-3"}]}
        ],
    }
    app.recorder.insert_events(
        [StoredEvent(show_id, 1, "domain.events:ShowCreated", json.dumps(old).encode())]
    )
    # WHEN it is read THEN its seats keep their labels, in their section
    show = app.get_show(show_id)
    assert show.price_of("A-1") == 5000
    assert [(p.section, p.label) for p in places_of(show.price_bands)][0] == ("North Stand", "A-1")
    # ... and they still sell
    order_id = app.place_order(show_id, "ann", ["A-1"], "k", "tok_visa")
    assert app.get_order(order_id).amount_cents == 5000


def test_show_listed_seats_round_trip_through_compact_bands() -> None:
    seats = {"A-1": 100, "A-2": 100, "A-3": 200, "A-5": 100, "B-7": 200, "AA-10": 100}
    bands, count = bands_from(seats=[{"label": k, "price_cents": v} for k, v in seats.items()])
    assert count == 6 and prices_of(bands) == seats
    assert [r.seats for b in bands for r in b.rows] == ["1-2,5", "10", "3", "7"]


def test_show_of_50000_listed_seats_stores_well_under_300_kb() -> None:
    # GIVEN 50,000 seats listed one by one: price tiers by row, every tenth seat cheaper
    app = application()
    seats = fifty_thousand_seats(lambda r, n: 1500 if n % 10 == 0 else 9000 - 25 * (r // 20))
    # WHEN the show is created THEN its one stored event is small, and every seat is priced
    show_id = app.create_show(uuid4(), "Stadium", seats=seats)
    assert stored_size(app, show_id) < 100_000
    show = app.get_show(show_id)
    assert show.seat_count == MAX_SEATS
    assert all(show.price_of(str(s["label"])) == s["price_cents"] for s in seats)


def test_show_of_50000_seats_alternating_prices_still_fits_300_kb() -> None:
    # GIVEN the worst realistic case: prices change seat by seat
    app = application()
    show_id = app.create_show(
        uuid4(), "Chequerboard", seats=fifty_thousand_seats(lambda r, n: 1000 + 100 * (n % 2))
    )
    assert stored_size(app, show_id) < 300_000


@pytest.mark.parametrize(
    "seats",
    [
        [{"label": "A1", "price_cents": 100}],  # no dash: not a number
        [{"label": "A-0", "price_cents": 100}],
        [{"label": "1-A-B-1", "price_cents": 100}],  # four parts
        [{"label": "A-1\n", "price_cents": 100}],
        [{"label": "A\x00-1", "price_cents": 100}],
        [{"label": "A-1", "price_cents": 0}],
        [{"label": "A-1", "price_cents": "100"}],  # prices are numbers
        [{"label": "A-1", "price_cents": True}],  # not a 1-cent seat
        [{"label": "A-1", "price_cents": 100.0}],
        [{"label": "A-1", "price_cents": 10**5000}],
        [{"label": "A-1", "price_cents": 100}, {"label": "A-1", "price_cents": 200}],
        [],
    ],
)
def test_show_refuses_invalid_layouts(seats: list[dict[str, object]]) -> None:
    with pytest.raises(InvalidShow):
        bands_from(seats=seats)


@pytest.mark.parametrize(
    "change",
    [
        {"seats_per_row": "5"},
        {"seats_per_row": True},
        {"price_cents": "100"},
        {"price_cents": True},
        {"name": "north\n"},
        {"name": "north stand"},  # a part of every label: letters and digits only
        {"name": "north-1"},
        {"name": ""},
        {"rows": ["A\t"]},
        {"rows": ["A-1"]},
        {"rows": []},
    ],
)
def test_show_refuses_invalid_sections(change: dict[str, object]) -> None:
    section = {"name": "north", "rows": ["A"], "seats_per_row": 5, "price_cents": 100, **change}
    with pytest.raises(InvalidShow):
        bands_from(sections=[section])


def test_show_refuses_more_than_50000_seats() -> None:
    with pytest.raises(InvalidShow, match="50000"):
        bands_from(
            sections=[{"name": "S", "rows": ["A", "B"], "seats_per_row": 25_001, "price_cents": 1}]
        )


def test_show_refuses_a_layout_too_fragmented_to_store() -> None:
    # one row per seat: nothing to compact
    seats = [{"label": f"R{i}-1", "price_cents": 100 + i} for i in range(MAX_SEATS)]
    with pytest.raises(ShowTooLarge):
        bands_from(seats=seats)
