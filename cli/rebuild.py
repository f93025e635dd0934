"""`seatledger rebuild`: rebuild read models from the event store, then swap them in."""

from __future__ import annotations

from typing import Any

import typer
from botocore.exceptions import ClientError
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from cli.common import Exit, errors, fail, operator_help, table, use_stack, waiting
from projections.views import VIEWS


def rebuild(
    ctx: typer.Context,
    named: list[str] = typer.Option(
        [], "--view", help="A view to rebuild (repeatable); default: every view."
    ),
    start: int | None = typer.Option(
        None,
        "--from",
        min=1,
        help="Start a fresh shadow at this position of each index partition, not 1. Only exact "
        "for views whose items all began after it. An interrupted rebuild resumes by itself; "
        "no --from needed.",
    ),
) -> None:
    """Rebuild views from the ordered index (in one pass) into their spare tables, and swap
    each in when it has caught up.

    Readers keep the old copy until the swap. Nothing is charged: only views are rebuilt.
    """
    from infra.pipeline.follower import readers_of
    from infra.readmodels.catalog import Catalog
    from infra.readmodels.rebuild import Rebuilder, view_named
    from infra.settings import Settings
    from infra.wiring import dynamodb, source, ticketing

    if ctx.obj.aws:
        fail(
            Exit.FAILED,
            "rebuild runs against the local stack only for now: on AWS the "
            "functions' grants cover the stack's own tables, not runtime shadow tables",
        )
    use_stack(aws=False)
    try:
        views = [view_named(name) for name in named] if named else list(VIEWS)
    except KeyError as e:
        fail(Exit.USAGE, str(e.args[0]))
    settings = Settings.from_env()
    app = ticketing(settings)
    readers = readers_of(dynamodb(), settings.index_table, app.name, settings.index_partitions)
    rebuilder = Rebuilder(dynamodb(), Catalog(dynamodb(), settings), readers, source(app))
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]:>8.0f} events/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    results: list[Any] = []
    quiet = ctx.obj.output.as_json or not waiting()
    with Progress(*columns, console=errors, disable=quiet, transient=False) as bar:
        tasks = {view.name: bar.add_task(view.name, total=None, rate=0.0) for view in views}

        def progress(name: str, position: int, head: int) -> None:
            speed = bar.tasks[tasks[name]].speed or 0.0
            bar.update(tasks[name], completed=position, total=head, rate=speed)

        for view in views if start is not None else []:
            assert start is not None
            try:
                rebuilder.start_at(rebuilder.shadow_for(view), start - 1)
            except ClientError:
                fail(
                    Exit.USAGE,
                    f"{view.name}: a rebuild is under way; run without --from to resume it",
                )
        try:
            results = rebuilder.rebuild(views, progress)
        except KeyboardInterrupt:
            fail(Exit.FAILED, "interrupted; run the same command to resume")
    rows = [
        {
            "view": r.view,
            "old_table": r.old_table,
            "new_table": r.new_table,
            "events": r.events,
            "seconds": round(r.seconds, 2),
            "events_per_s": round(r.events / r.seconds) if r.seconds else None,
        }
        for r in results
    ]
    ctx.obj.output.emit(
        rows,
        table(
            "Rebuilt (now live)", list(rows[0]) if rows else [], [list(r.values()) for r in rows]
        ),
    )


def register(app: typer.Typer) -> None:
    app.command(help=operator_help(rebuild))(rebuild)
