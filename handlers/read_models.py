"""Lambda: the read-model queue -> seat map, orders and payments views."""

from domain.contract import EventDetail
from infra.pipeline.consumer import Handle, queue_handler
from infra.readmodels.catalog import Catalog
from infra.settings import Settings
from infra.wiring import dynamodb, projectors, ticketing


def build(settings: Settings) -> Handle:
    app, catalog = ticketing(settings), Catalog(dynamodb(), settings)
    live = catalog.live()
    views = projectors(live, app)

    def handle(detail: EventDetail) -> int:
        nonlocal live, views
        if (now := catalog.live()) != live:  # a replay swapped a view in: follow it
            live, views = now, projectors(now, app)
        return sum(view.handle(detail) for view in views)

    return handle


handler = queue_handler("read-models", build)
