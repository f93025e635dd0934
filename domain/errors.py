"""Typed domain errors: callers map them (to HTTP, to messages) by class, never by text."""

from __future__ import annotations


class DomainError(Exception):
    """A request the ticketing rules refuse."""


class UnknownShow(DomainError):
    pass


class ShowAlreadyExists(DomainError):
    pass


class InvalidShow(DomainError):
    """Bad seat layout: label format, duplicate labels, prices, too many seats."""


class ShowTooLarge(InvalidShow):
    """The layout would not fit one stored event, even when compacted."""


class UnknownSeat(DomainError):
    pass


class UnknownOrder(DomainError):
    pass


class UnknownPayment(DomainError):
    pass


class EmptyOrder(DomainError):
    pass


class TooManySeats(DomainError):
    pass


class DuplicateSeats(DomainError):
    pass


class IdempotencyKeyReused(DomainError):
    """The key was already used for an order of other seats."""


class InvalidTransition(DomainError):
    """An aggregate was asked for a change its current state does not allow."""


class PaymentAlreadySettled(InvalidTransition):
    pass


class TransientError(Exception):
    """Not a refusal: the same request may succeed later (a queue should redeliver it)."""
