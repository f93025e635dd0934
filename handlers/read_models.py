"""Lambda: the read-model queue -> seat map, orders and payments views."""

from domain.contract import EventDetail
from infra.pipeline.consumer import Handle, queue_handler
from infra.settings import Settings
from infra.wiring import projectors, ticketing


def build(settings: Settings) -> Handle:
    views = projectors(settings, ticketing(settings))

    def handle(detail: EventDetail) -> int:
        return sum(view.handle(detail) for view in views)

    return handle


handler = queue_handler("read-models", build)
