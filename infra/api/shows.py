"""Shows and their seat maps: an organizer creates a show; anyone lists shows and reads a
show's seat map (full, or compact), with an ETag and 304 for a client that polls."""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from typing import Annotated, Any
from uuid import UUID

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from domain.errors import InvalidShow
from domain.layout import places_of
from infra.api.context import caller, deps, located
from infra.api.models import (
    CompactSeatMapOut,
    CreateShow,
    SeatCounts,
    SeatMapOut,
    SeatOut,
    SectionSummary,
    ShowCreatedOut,
    ShowListed,
    ShowOut,
    ShowPage,
)
from infra.api.spec import BEARER, SHOW_AT, WITH_BODY, answers, cached_answers
from infra.readmodels.queries import by_section, decode_cursor

router = Router()  # type: ignore[no-untyped-call]


def _etag_matches(tag: str, if_none_match: str | None) -> bool:
    """If-None-Match's weak comparison (RFC 9110): any listed tag, or *."""
    listed = {t.strip().removeprefix("W/") for t in (if_none_match or "").split(",")}
    return "*" in listed or tag.removeprefix("W/") in listed


def conditional(router: Any, body: str) -> Response[str]:
    """The body with its ETag, or an empty 304 if the client holds it already."""
    tag = f'W/"{hashlib.sha256(body.encode()).hexdigest()[:32]}"'
    headers = {"ETag": tag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    sent = {k.lower(): v for k, v in (router.current_event.headers or {}).items()}
    if _etag_matches(tag, sent.get("if-none-match")):
        return Response(304, None, "", headers, compress=False)
    return Response(200, "application/json", body, headers)


@router.post(
    "/shows",
    summary="Create a show (organizers)",
    security=BEARER,
    responses=answers(201, ShowCreatedOut, 401, 403, 409, *WITH_BODY, Location=SHOW_AT),
)
def create_show(body: CreateShow) -> Response[ShowCreatedOut]:
    caller(router).require_organizer()
    app, _, _ = deps()
    if body.starts_at is not None and body.starts_at.tzinfo is None:
        raise InvalidShow("starts_at needs a time zone, e.g. 2027-06-01T19:30:00Z")
    show_id = app.create_show(
        body.show_id or uuid.uuid4(),
        body.name,
        seats=body.seats,
        sections=body.sections,
        starts_at=body.starts_at,
    )
    created = ShowCreatedOut(show_id=show_id)
    return Response(201, "application/json", created, located(router, f"/shows/{show_id}"))


@router.get(
    "/shows", summary="Shows, newest first, a page at a time", responses=answers(200, ShowPage)
)
def shows(
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=1000)] = None,
) -> ShowPage:
    after = decode_cursor(cursor) if cursor is not None else None
    _, views, _ = deps()
    items, next_cursor = views.shows(limit, after)
    listed = [
        ShowListed(
            show_id=i["show"],
            name=i["name"],
            seat_count=i["seat_count"],
            created_at=i["created_at"],
        )
        for i in items
    ]
    return ShowPage(shows=listed, next_cursor=next_cursor)


@router.get(
    "/shows/<show_id>",
    summary="A show: sections, prices and how many seats are free",
    responses=answers(200, ShowOut, 404),
)
def show(show_id: Annotated[UUID, Path()]) -> ShowOut:
    app, views, _ = deps()
    show = app.get_show(show_id)  # from the store, cached: a show never changes
    sections: dict[str, Counter[int]] = {}
    for place in places_of(by_section(show.price_bands)):
        sections.setdefault(place.section, Counter())[place.price_cents] += 1
    counts = views.seat_counts(show_id)
    return ShowOut(
        show_id=show_id,
        name=show.name,
        seat_count=show.seat_count,
        starts_at=show.starts_at,
        sections=[
            SectionSummary(name=name, seat_count=prices.total(), prices_cents=sorted(prices))
            for name, prices in sections.items()
        ],
        seats=SeatCounts(
            free=show.seat_count - counts["HELD"] - counts["SOLD"],
            held=counts["HELD"],
            sold=counts["SOLD"],
        ),
    )


@router.get(
    "/shows/<show_id>/seats",
    summary="Every seat of a show: status, price, who holds it",
    compress=True,
    responses=cached_answers(SeatMapOut),
)
def seat_map(show_id: Annotated[UUID, Path()]) -> Response[str]:
    app, views, _ = deps()
    show = app.get_show(show_id)
    seats = [SeatOut(**seat) for seat in views.seat_map(show)]
    return conditional(
        router, SeatMapOut(show_id=show_id, name=show.name, seats=seats).model_dump_json()
    )


@router.get(
    "/shows/<show_id>/seats/compact",
    summary="The seat map in a few bytes per seat",
    compress=True,
    responses=cached_answers(CompactSeatMapOut),
)
def compact_seat_map(show_id: Annotated[UUID, Path()]) -> Response[str]:
    app, views, _ = deps()
    show = app.get_show(show_id)
    compact = views.compact_seat_map(show)
    out = CompactSeatMapOut(show_id=show_id, name=show.name, **compact)
    return conditional(router, out.model_dump_json())
