"""Lambda: the read-model queue -> seat map, orders and payments views."""

from infra.pipeline.consumer import Handle, queue_handler
from infra.settings import Settings
from infra.wiring import catalog_views, ticketing


def build(settings: Settings) -> Handle:
    return catalog_views(settings, ticketing(settings))


handler = queue_handler("read-models", build)
