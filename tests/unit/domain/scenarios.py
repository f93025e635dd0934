"""The ticketing scenario suite, run on every event store: subclasses provide `make_app`."""

from __future__ import annotations

from tests.unit.domain.ordering_scenarios import OrderingScenarios
from tests.unit.domain.reaction_scenarios import ReactionScenarios
from tests.unit.domain.scenario_fixtures import MakeApp


class TicketingScenarios(OrderingScenarios, ReactionScenarios):
    pass


__all__ = ["MakeApp", "TicketingScenarios"]
