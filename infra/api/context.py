"""What every route reads: the application and the live read models (built once per process),
the caller from the verified claims, and where a created resource is."""

from __future__ import annotations

import functools
from typing import Any

from domain.application import Ticketing
from infra.api.auth import Caller, caller_of
from infra.readmodels.catalog import Catalog
from infra.readmodels.queries import ReadModels
from infra.settings import Settings
from infra.wiring import dynamodb, ticketing


@functools.cache
def _app() -> tuple[Ticketing, Catalog, Settings]:
    settings = Settings.from_env()
    return ticketing(settings), Catalog(dynamodb(), settings), settings


def deps() -> tuple[Ticketing, ReadModels, Settings]:
    """The application, and the read models of whichever tables are live (see rebuild)."""
    app, catalog, settings = _app()
    return app, ReadModels(dynamodb(), catalog.live()), settings


def caller(router: Any) -> Caller:
    """Who is calling: the verified token's claims, as the gateway (or `make up`) passed them."""
    return caller_of(router.current_event.raw_event)


def located(router: Any, path: str) -> dict[str, str]:
    """A Location header for a resource at `path`, under the stage's prefix if any (the
    gateway's request path is `/v1/...` when the handler's is `/...`)."""
    event = router.current_event
    full = str(event.request_context.path or event.path)
    prefix = full[: -len(event.path)] if full.endswith(event.path) else ""
    return {"Location": prefix + path}
