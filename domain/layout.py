"""Seat layouts: validated from seat lists or sections, stored compactly as price bands.

50,000 labels listed one by one would take ~450 KB of JSON; grouped by price and row, with
seat numbers as ranges, a realistic hall takes a few KB and even seat-by-seat alternating
prices stay near 200 KB (one stored event must fit a 400 KB DynamoDB item).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from domain.errors import InvalidShow, ShowTooLarge
from domain.events import PriceBand, RowSeats

MAX_SEATS = 50_000
MAX_LAYOUT_BYTES = 300_000
MAX_PRICE_CENTS = 100_000_000  # $1M a seat: 10 seats stay far inside every store's numbers
LABEL = re.compile(r"([A-Za-z0-9]{1,10})-([1-9][0-9]{0,5})")
_BANDS = TypeAdapter(list[PriceBand])


class SeatSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(max_length=17)
    price_cents: int = Field(gt=0, le=MAX_PRICE_CENTS)


class SectionSpec(BaseModel):
    """Rows of a section, each numbered 1..seats_per_row: labels ``<row>-<n>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(max_length=100)
    rows: list[str] = Field(min_length=1, max_length=MAX_SEATS)
    seats_per_row: int = Field(gt=0, le=999_999)
    price_cents: int = Field(gt=0, le=MAX_PRICE_CENTS)


def parse_label(label: str) -> tuple[str, int]:
    match = LABEL.fullmatch(label)
    if match is None:
        raise InvalidShow(f"Seat label {label!r} is not like 'A-12'")
    return match.group(1), int(match.group(2))


def _validated(model: type[BaseModel], items: Iterable[BaseModel | Mapping[str, Any]]) -> list[Any]:
    try:
        return [item if isinstance(item, model) else model.model_validate(item) for item in items]
    except ValidationError as e:
        raise InvalidShow(str(e)) from e


def bands_from(
    seats: Sequence[SeatSpec | Mapping[str, Any]] | None = None,
    sections: Sequence[SectionSpec | Mapping[str, Any]] | None = None,
) -> tuple[list[PriceBand], int]:
    """The compact price bands of a layout and its seat count; raises InvalidShow."""
    if (seats is None) == (sections is None):
        raise InvalidShow("Give either seats or sections")
    listed: list[tuple[str, str, int]] = []  # (band name, label, price)
    for seat in _validated(SeatSpec, seats or []):
        listed.append(("", seat.label, seat.price_cents))
    checked = _validated(SectionSpec, sections or [])
    if sum(s.seats_per_row * len(s.rows) for s in checked) + len(listed) > MAX_SEATS:
        raise InvalidShow(f"More than {MAX_SEATS} seats")  # before expanding any of them
    for section in checked:
        for row in section.rows:
            for n in range(1, section.seats_per_row + 1):
                listed.append((section.name, f"{row}-{n}", section.price_cents))
    if not listed:
        raise InvalidShow("A show needs at least one seat")
    if len(listed) > MAX_SEATS:
        raise InvalidShow(f"More than {MAX_SEATS} seats")
    grouped: dict[tuple[str, int], dict[str, list[int]]] = {}
    seen: set[str] = set()
    for name, label, price in listed:
        if label in seen:
            raise InvalidShow(f"Seat {label} listed twice")
        seen.add(label)
        row, number = parse_label(label)
        grouped.setdefault((name, price), {}).setdefault(row, []).append(number)
    bands = [
        PriceBand(
            name=name,
            price_cents=price,
            rows=[RowSeats(row=row, seats=_ranges(numbers)) for row, numbers in rows.items()],
        )
        for (name, price), rows in grouped.items()
    ]
    if len(_BANDS.dump_json(bands)) > MAX_LAYOUT_BYTES:
        raise ShowTooLarge(f"Seat layout exceeds {MAX_LAYOUT_BYTES} bytes even when compacted")
    return bands, len(listed)


def _ranges(numbers: list[int]) -> str:
    numbers = sorted(numbers)
    parts: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        parts.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ",".join(parts)


def prices_of(bands: Iterable[PriceBand]) -> dict[str, int]:
    """Label -> price for every seat of the bands."""
    prices: dict[str, int] = {}
    for band in bands:
        for row in band.rows:
            for part in row.seats.split(","):
                first, _, last = part.partition("-")
                for n in range(int(first), int(last or first) + 1):
                    prices[f"{row.row}-{n}"] = band.price_cents
    return prices
