"""Ticketing domain: aggregates (show, seat, order, payment), their pydantic events, the
`Ticketing` application (domain.application), pure reaction policies and an in-process runner.

No boto3, no environment reads: persistence comes through the library's PERSISTENCE_MODULE and
the card gateway through the `PaymentGateway` port.
"""
