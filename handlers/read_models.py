"""Lambda: the read-model queue -> seat map, orders and payments views."""

from domain.contract import EventDetail
from infra.pipeline.consumer import Handle, Outcome, queue_handler
from infra.readmodels.catalog import Catalog
from infra.settings import Settings
from infra.wiring import dynamodb, ticketing, views_handle


def build(settings: Settings) -> Handle:
    app, catalog = ticketing(settings), Catalog(dynamodb(), settings)
    tables = (catalog.live(), catalog.following())
    views = views_handle(tables[0], app, tables[1])

    def handle(details: list[EventDetail]) -> list[Outcome]:
        nonlocal tables, views
        # A replay asks for its shadow to be kept up, then swaps it in: follow the catalog.
        if (now := (catalog.live(), catalog.following())) != tables:
            tables, views = now, views_handle(now[0], app, now[1])
        return views(details)

    return handle


handler = queue_handler("read-models", build)
