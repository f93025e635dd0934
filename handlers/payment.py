"""Lambda: the payment queue -> StartPayment (charges the card, once per order)."""

from infra.pipeline.consumer import Handle, queue_handler
from infra.settings import Settings
from infra.wiring import reactor, simulated_gateway, ticketing
from projections.reactions import PAYMENT


def build(settings: Settings) -> Handle:
    return reactor(PAYMENT, settings, ticketing(settings, simulated_gateway(settings))).apply


handler = queue_handler("payment", build)
