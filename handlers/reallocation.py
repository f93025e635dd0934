"""Lambda: the reallocation queue -> confirm, fail (passing seats on) or reject orders."""

from infra.pipeline.consumer import Handle, queue_handler
from infra.settings import Settings
from infra.wiring import reactor, ticketing
from projections.reactions import REALLOCATION


def build(settings: Settings) -> Handle:
    return reactor(REALLOCATION, settings, ticketing(settings)).apply


handler = queue_handler("reallocation", build)
