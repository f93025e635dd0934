"""What the API accepts and answers (validated by Powertools, published in its OpenAPI spec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.layout import SeatSpec, SectionSpec
from infra.untrusted import NO_CONTROL

# A client's text: no control character (NUL, ESC...), which a terminal or a log would obey.
Text = Annotated[str, StringConstraints(pattern=NO_CONTROL)]

Status = Literal["PENDING", "ALLOCATED", "CONFIRMED", "PAYMENT_FAILED", "REJECTED", "CANCELLED"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateShow(_In):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "Cup final",
                    "starts_at": "2027-06-01T19:30:00Z",
                    "sections": [
                        {
                            "name": "north",
                            "rows": ["A", "B"],
                            "seats_per_row": 30,
                            "price_cents": 4500,
                        }
                    ],
                },
                {"name": "Club night", "seats": [{"label": "A-1", "price_cents": 2000}]},
            ]
        },
    )
    show_id: UUID | None = Field(default=None, description="Chosen by the caller, or generated")
    name: Text = Field(min_length=1, max_length=200)
    seats: list[SeatSpec] | None = Field(default=None, max_length=50_000)
    sections: list[SectionSpec] | None = Field(default=None, max_length=1_000)
    starts_at: datetime | None = Field(
        default=None, description="When the show starts (with a time zone): cancellations end"
    )


class PlaceOrder(_In):
    """The customer is the caller (the token's subject), never named in the body."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"seats": ["north-A-12"], "payment_token": "tok_visa"}]},
    )

    seats: list[Annotated[Text, Field(max_length=50)]] = Field(min_length=1, max_length=10)
    payment_token: Text = Field(min_length=1, max_length=100)


class ShowCreatedOut(BaseModel):
    show_id: UUID


class OrderAccepted(BaseModel):
    order_id: UUID
    status: Status


class PaymentAttemptOut(BaseModel):
    attempt: int
    result: str
    at: str
    reason: str | None = None


class PaymentOut(BaseModel):
    payment_id: UUID
    status: str
    amount_cents: int
    captured_cents: int
    refunded_cents: int = 0
    attempts: list[PaymentAttemptOut]


class OrderOut(BaseModel):
    order_id: UUID
    show_id: UUID
    customer_id: str
    seats: list[str]
    status: Status
    amount_cents: int
    failure_reason: Literal["declined", "deadline"] | None = None
    payments: list[PaymentOut]


class SeatOut(BaseModel):
    label: str
    section: str = Field(description="Empty for seats listed without one")
    status: Literal["FREE", "HELD", "SOLD"]
    order_id: UUID | None
    queue_length: int
    price_cents: int


class SeatMapOut(BaseModel):
    show_id: UUID
    name: str
    seats: list[SeatOut]


class RowLayout(BaseModel):
    row: str
    prefix: str = Field(description="A seat's label is this prefix and its number: `north-A-`")
    seats: str = Field(description="Seat numbers as ranges: `1-50,52`")
    price_cents: int


class SectionLayout(BaseModel):
    name: str
    rows: list[RowLayout]


class CompactSeatMapOut(BaseModel):
    """The seat map in a few bytes per seat (50,000 seats: tens of KB, less with gzip)."""

    show_id: UUID
    name: str
    sections: list[SectionLayout]
    status: str = Field(
        description="One letter per seat, in the order of sections, rows and seat numbers: "
        "F free, H held, S sold"
    )
    waiting: dict[str, int] = Field(
        description="Orders waiting for a held seat, by its position in `status`"
    )


class SectionSummary(BaseModel):
    name: str
    seat_count: int
    prices_cents: list[int] = Field(description="Its seats' prices, lowest first")


class SeatCounts(BaseModel):
    free: int
    held: int
    sold: int


class ShowOut(BaseModel):
    show_id: UUID
    name: str
    seat_count: int
    starts_at: datetime | None = None  # cancellations end then
    sections: list[SectionSummary]
    seats: SeatCounts


class ShowListed(BaseModel):
    show_id: UUID
    name: str
    seat_count: int
    created_at: str


class ShowPage(BaseModel):
    shows: list[ShowListed] = Field(description="Newest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none")


class FieldProblem(BaseModel):
    """One invalid field: a JSON pointer into the body, or a parameter's name."""

    detail: str
    pointer: str | None = Field(default=None, examples=["#/seats/0"])
    query: str | None = None
    header: str | None = None
    path: str | None = None


class Problem(BaseModel):
    """RFC 9457 problem details (served as application/problem+json)."""

    type: str = Field(examples=["tag:seatledger,2026:unknown-show"])
    title: str = Field(examples=["Unknown show"])
    status: int = Field(examples=[404])
    detail: str = Field(examples=["No show 3f1c1a52-0000-4000-8000-000000000001"])
    errors: list[FieldProblem] | None = Field(
        default=None, description="A validation failure's fields"
    )


class OrderPage(BaseModel):
    orders: list[OrderOut] = Field(description="Oldest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: none")
