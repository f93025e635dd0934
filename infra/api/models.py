"""What the API accepts and answers (validated by Powertools, published in its OpenAPI spec)."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from domain.layout import SeatSpec, SectionSpec
from infra.untrusted import NO_CONTROL

# A client's text: no control character (NUL, ESC...), which a terminal or a log would obey.
Text = Annotated[str, StringConstraints(pattern=NO_CONTROL)]

Status = Literal["PENDING", "ALLOCATED", "CONFIRMED", "PAYMENT_FAILED", "REJECTED"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CreateShow(_In):
    show_id: UUID | None = Field(default=None, description="Chosen by the caller, or generated")
    name: Text = Field(min_length=1, max_length=200)
    seats: list[SeatSpec] | None = Field(default=None, max_length=50_000)
    sections: list[SectionSpec] | None = Field(default=None, max_length=1_000)


class PlaceOrder(_In):
    """The customer is the caller (the token's subject), never named in the body."""

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
    attempts: list[PaymentAttemptOut]


class OrderOut(BaseModel):
    order_id: UUID
    show_id: UUID
    customer_id: str
    seats: list[str]
    status: Status
    amount_cents: int
    payments: list[PaymentOut]


class SeatOut(BaseModel):
    label: str
    status: Literal["FREE", "HELD", "SOLD"]
    order_id: UUID | None
    queue_length: int
    price_cents: int


class SeatMapOut(BaseModel):
    show_id: UUID
    name: str
    seats: list[SeatOut]


class Problem(BaseModel):
    error: str
    reason: str
