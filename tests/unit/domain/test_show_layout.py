"""Show layouts: labels, prices, validation, and the size of the stored created event."""

from __future__ import annotations

from uuid import uuid4

import pytest

from domain.application import Ticketing
from domain.errors import InvalidShow, ShowTooLarge, UnknownSeat
from domain.layout import MAX_SEATS, bands_from, prices_of

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


def test_show_sections_expand_to_row_seat_labels_with_prices() -> None:
    app = Ticketing()
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
    assert (show.price_of("B-20"), show.price_of("K-1")) == (8000, 3000)
    with pytest.raises(UnknownSeat):
        show.price_of("K-11")


def test_show_listed_seats_round_trip_through_compact_bands() -> None:
    seats = {"A-1": 100, "A-2": 100, "A-3": 200, "A-5": 100, "B-7": 200, "AA-10": 100}
    bands, count = bands_from(seats=[{"label": k, "price_cents": v} for k, v in seats.items()])
    assert count == 6 and prices_of(bands) == seats
    assert [r.seats for b in bands for r in b.rows] == ["1-2,5", "10", "3", "7"]


def test_show_of_50000_listed_seats_stores_well_under_300_kb() -> None:
    # GIVEN 50,000 seats listed one by one: price tiers by row, every tenth seat cheaper
    app = Ticketing()
    seats = fifty_thousand_seats(lambda r, n: 1500 if n % 10 == 0 else 9000 - 25 * (r // 20))
    # WHEN the show is created THEN its one stored event is small, and every seat is priced
    show_id = app.create_show(uuid4(), "Stadium", seats=seats)
    assert stored_size(app, show_id) < 100_000
    show = app.get_show(show_id)
    assert show.seat_count == MAX_SEATS
    assert all(show.price_of(str(s["label"])) == s["price_cents"] for s in seats)


def test_show_of_50000_seats_alternating_prices_still_fits_300_kb() -> None:
    # GIVEN the worst realistic case: prices change seat by seat
    app = Ticketing()
    show_id = app.create_show(
        uuid4(), "Chequerboard", seats=fifty_thousand_seats(lambda r, n: 1000 + 100 * (n % 2))
    )
    assert stored_size(app, show_id) < 300_000


@pytest.mark.parametrize(
    "seats",
    [
        [{"label": "A1", "price_cents": 100}],  # no dash
        [{"label": "A-0", "price_cents": 100}],
        [{"label": "A-1", "price_cents": 0}],
        [{"label": "A-1", "price_cents": 100}, {"label": "A-1", "price_cents": 200}],
        [],
    ],
)
def test_show_refuses_invalid_layouts(seats: list[dict[str, object]]) -> None:
    with pytest.raises(InvalidShow):
        bands_from(seats=seats)


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
