"""Seat layouts: validated from seat lists or sections, stored compactly as price bands.

50,000 labels listed one by one would take ~450 KB of JSON; grouped by price and row, with
seat numbers as ranges, a realistic hall takes a few KB and even seat-by-seat alternating
prices stay near 200 KB (one stored event must fit a 400 KB DynamoDB item).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Annotated, Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, StrictInt, TypeAdapter, ValidationError

from domain.errors import InvalidShow, ShowTooLarge
from domain.events import PriceBand, RowSeats

MAX_SEATS = 50_000
MAX_LAYOUT_BYTES = 300_000
MAX_PRICE_CENTS = 100_000_000  # $1M a seat: 10 seats stay far inside every store's numbers
PART = r"[A-Za-z0-9]{1,10}"  # a section or row name: also a part of seat labels
NUMBER = r"[1-9][0-9]{0,5}"
# `12`, `A-12` (row A) or `101-A-12` (section 101, row A)
LABEL = re.compile(rf"(?:(?:({PART})-)?({PART})-)?({NUMBER})")
_BANDS = TypeAdapter(list[PriceBand])

Part = Annotated[str, Field(pattern=rf"^{PART}$")]
Price = Annotated[StrictInt, Field(gt=0, le=MAX_PRICE_CENTS)]  # strict: no "100", no true


class SeatSpec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(pattern=f"^{LABEL.pattern}$", max_length=28)
    price_cents: Price


class SectionSpec(BaseModel):
    """Rows of a section, each numbered 1..seats_per_row: labels ``<section>-<row>-<n>``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: Part
    rows: list[Part] = Field(min_length=1, max_length=MAX_SEATS)
    seats_per_row: StrictInt = Field(gt=0, le=999_999)
    price_cents: Price


class Place(NamedTuple):
    """One seat of a layout: its section (the band's name), row, number, label and price."""

    section: str
    row: str
    number: int
    label: str
    price_cents: int


def parse_label(label: str) -> tuple[str, str, int]:
    """(section, row, number) of a listed label; parts it lacks are empty."""
    match = LABEL.fullmatch(label)
    if match is None:
        raise InvalidShow(f"Seat label {label!r} is not like '12', 'A-12' or '101-A-12'")
    return match.group(1) or "", match.group(2) or "", int(match.group(3))


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
    listed: list[tuple[str, str, int, int]] = []  # (section, row, number, price)
    for seat in _validated(SeatSpec, seats or []):
        section, row, number = parse_label(seat.label)
        listed.append((section, row, number, seat.price_cents))
    checked = _validated(SectionSpec, sections or [])
    if sum(s.seats_per_row * len(s.rows) for s in checked) + len(listed) > MAX_SEATS:
        raise InvalidShow(f"More than {MAX_SEATS} seats")  # before expanding any of them
    for s in checked:
        for row in s.rows:
            listed.extend((s.name, row, n, s.price_cents) for n in range(1, s.seats_per_row + 1))
    if not listed:
        raise InvalidShow("A show needs at least one seat")
    grouped: dict[tuple[str, int], dict[str, list[int]]] = {}
    seen: set[tuple[str, str, int]] = set()
    for section, row, number, price in listed:
        if (section, row, number) in seen:
            raise InvalidShow(f"Seat {_label(section, row, number)} listed twice")
        seen.add((section, row, number))
        grouped.setdefault((section, price), {}).setdefault(row, []).append(number)
    bands = [
        PriceBand(
            name=section,
            price_cents=price,
            rows=[RowSeats(row=row, seats=_ranges(numbers)) for row, numbers in rows.items()],
            name_in_labels=bool(section),
        )
        for (section, price), rows in grouped.items()
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


def _label(section: str, row: str, number: int) -> str:
    return "-".join(part for part in (section, row, str(number)) if part)


def places_of(bands: Iterable[PriceBand]) -> Iterator[Place]:
    """Every seat of the bands, in layout order (bands, rows, seat numbers)."""
    for band in bands:
        prefix = band.name if band.name_in_labels else ""
        for row in band.rows:
            for part in row.seats.split(","):
                first, _, last = part.partition("-")
                for n in range(int(first), int(last or first) + 1):
                    yield Place(band.name, row.row, n, _label(prefix, row.row, n), band.price_cents)


def prices_of(bands: Iterable[PriceBand]) -> dict[str, int]:
    """Label -> price for every seat of the bands."""
    return {place.label: place.price_cents for place in places_of(bands)}
