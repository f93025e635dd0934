"""Rebuild: views rebuilt from the store into shadow tables equal the live ones, survive an
interruption, and are swapped in without the live pipeline missing a beat."""

from __future__ import annotations

import random
import uuid
from pathlib import Path
from typing import Any

import pytest

from infra.dynamodb.index_reader import IndexReader
from infra.pipeline.follower import readers_of
from infra.readmodels.catalog import Catalog
from infra.readmodels.rebuild import Rebuilder
from infra.wiring import dynamodb, source
from local.dynamodb import DynamoDBLocal
from projections.views import VIEWS
from tests.integration.pipeline_stack import pipeline_stack, scan

TOKENS = ["tok_visa", "tok_visa", "tok_chargeDeclined", "tok_timeoutOnce", "tok_unknown"]


class Interrupted(Exception):
    pass


class StopsAfter(IndexReader):
    """An index reader that dies after `reads` reads, like a rebuild stopped by Ctrl-C."""

    def __init__(self, inner: IndexReader, reads: int) -> None:
        super().__init__(inner.client, inner.index_table, inner.app, inner.partition)
        self.reads = reads

    def select_notifications(self, *args: Any, **kwargs: Any) -> Any:
        self.reads -= 1
        if self.reads < 0:
            raise Interrupted()
        return super().select_notifications(*args, **kwargs)


def test_rebuilt_views_equal_the_live_ones_after_a_busy_on_sale(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    rng = random.Random(7)
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        app = stack.app
        labels = [f"A-{n}" for n in range(1, 7)]
        show = app.create_show(
            uuid.uuid4(), "Busy", seats=[{"label": s, "price_cents": 900} for s in labels]
        )
        for i in range(30):
            app.place_order(
                show, f"c{i}", rng.sample(labels, rng.choice([1, 2])), "k", rng.choice(TOKENS)
            )
        stack.pipeline.run_until_quiet(timeout=300)
        live_before = stack.views()
        charges_before = stack.charges()

        catalog = Catalog(dynamodb(), stack.settings)
        readers = readers_of(dynamodb(), stack.settings.index_table, app.name, 1)
        for view in VIEWS:  # each rebuild is interrupted once, then resumed
            stops = [StopsAfter(readers[0], 2)]
            with pytest.raises(Interrupted):
                Rebuilder(dynamodb(), catalog, stops, source(app), page=5).rebuild([view])
            assert catalog.shadow(view.name), "the shadow is left to resume"
            assert catalog.live(fresh=True).of(view.name) == getattr(
                stack.settings, f"{view.name}_table"
            ), "nothing swapped before it caught up"
            (result,) = Rebuilder(dynamodb(), catalog, readers, source(app), page=5).rebuild([view])
            assert result.new_table != result.old_table
            assert catalog.shadow(view.name) is None

        live = catalog.live(fresh=True)
        assert stack.views(live) == live_before
        assert stack.charges() == charges_before  # a rebuild charges nobody

        # The live pipeline follows the swap: a new order reaches the new tables.
        late = app.place_order(show, "late", ["A-1"], "k", "tok_visa")
        stack.pipeline.run_until_quiet(timeout=120)
        orders = {o["order_id"]: o for o in scan(live.of("orders")) if "order_id" in o}
        assert str(late) in orders
        assert stack.views(live) == stack.rebuilt_views()


def test_a_rebuild_while_the_index_lags_swaps_in_views_missing_nothing(
    dynamodb_local: DynamoDBLocal, tmp_path: Path
) -> None:
    with pipeline_stack(dynamodb_local, tmp_path) as stack:
        app = stack.app
        labels = [f"B-{n}" for n in range(1, 5)]
        show = app.create_show(
            uuid.uuid4(), "Lag", seats=[{"label": s, "price_cents": 500} for s in labels]
        )
        app.place_order(show, "early", ["B-1"], "k", "tok_visa")
        stack.pipeline.run_until_quiet()
        # GIVEN orders the consumers have applied but the indexer has not indexed yet
        for i, label in enumerate(labels[1:]):
            app.place_order(show, f"late{i}", [label], "k", "tok_visa")
        stack.pipeline.run_until_quiet(index=False)
        assert len(stack.indexed()) < len(stack.stored())
        # WHEN every view is rebuilt from the index and swapped in
        catalog = Catalog(dynamodb(), stack.settings)
        readers = readers_of(dynamodb(), stack.settings.index_table, app.name, 1)
        Rebuilder(dynamodb(), catalog, readers, source(app), settle_seconds=0).rebuild(list(VIEWS))
        # THEN the new live views already hold what only the old ones had
        live = catalog.live(fresh=True)
        stack.pipeline.run_until_quiet()
        assert stack.views(live) == stack.rebuilt_views()
