"""A show: its seat inventory and prices. Seats themselves are separate aggregates (`Seat`)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.base import Aggregate, DomainEvent
from domain.errors import UnknownSeat
from domain.events import PriceBand, ShowCreated
from domain.layout import prices_of


class Show(Aggregate):
    def __init__(self) -> None:
        self.name = ""
        self.seat_count = 0
        self.price_bands: list[PriceBand] = []
        self.starts_at: datetime | None = None
        self._prices: dict[str, int] | None = None

    @classmethod
    def create(
        cls,
        show_id: UUID,
        name: str,
        bands: list[PriceBand],
        seat_count: int,
        starts_at: datetime | None = None,
    ) -> Show:
        return cls._create(
            ShowCreated,
            id=show_id,
            name=name,
            price_bands=bands,
            seat_count=seat_count,
            starts_at=starts_at,
        )

    def price_of(self, label: str) -> int:
        if self._prices is None:  # expanded on first use: 50,000 labels cost ~20 ms
            self._prices = prices_of(self.price_bands)
        try:
            return self._prices[label]
        except KeyError:
            raise UnknownSeat(f"Show {self.id} has no seat {label!r}") from None

    def when(self, event: DomainEvent) -> None:
        match event:
            case ShowCreated():
                self.name = event.name
                self.seat_count = event.seat_count
                self.price_bands = event.price_bands
                self.starts_at = event.starts_at
            case _:
                super().when(event)
