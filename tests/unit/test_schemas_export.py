"""`seatledger schemas export`: draft-04 schemas that accept what the envelope models accept
(every detail real domain events produce) and refuse what they refuse. No stack needed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from jsonschema import Draft4Validator
from pydantic import ValidationError
from typer.testing import CliRunner

from cli.bus import example, registry_schema
from cli.main import app
from domain.base import DomainEvent
from domain.contract import DETAILS, SOURCE, parse_detail, to_detail
from infra.gateway import SimulatedGateway
from infra.publisher import entry_detail
from tests.unit.every_event import run_every_kind_of_event


def event(detail_type: str, detail: Any) -> dict[str, Any]:
    """An EventBridge event as a consumer receives it."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": SOURCE,
        "account": "123456789012",
        "time": "2026-11-23T12:00:00Z",
        "region": "eu-west-1",
        "resources": [],
        "detail": detail,
    }


def validator(detail_type: str) -> Draft4Validator:
    return Draft4Validator(registry_schema(detail_type))


@pytest.fixture(scope="module")
def real_details() -> list[tuple[str, dict[str, Any]]]:
    """The details of a run in memory that produces every kind of event."""
    app = run_every_kind_of_event(SimulatedGateway())
    notifications = app.recorder.select_notifications(start=1, limit=1000)
    found = []
    for n in notifications:
        domain_event = cast(DomainEvent, app.mapper.to_domain_event(n))
        detail = to_detail("Ticketing", domain_event)
        found.append((detail.detail_type, json.loads(entry_detail(detail))))
    return found


def test_schemas_are_draft_04_with_definitions_and_resolvable_refs() -> None:
    for name in DETAILS:
        schema = registry_schema(name)
        Draft4Validator.check_schema(schema)
        assert schema["$schema"] == "http://json-schema.org/draft-04/schema#"
        text = json.dumps(schema)
        assert "$defs" not in text and '"const"' not in text
        for ref in text.split('"$ref": "')[1:]:
            target = ref.split('"')[0]
            assert target.startswith("#/definitions/")
            assert target.removeprefix("#/definitions/") in schema["definitions"]
        assert schema["properties"]["detail"] == {"$ref": f"#/definitions/{name}Detail"}
        assert {"detail-type", "source", "detail"} <= set(schema["required"])


def test_every_detail_real_events_produce_validates(
    real_details: list[tuple[str, dict[str, Any]]],
) -> None:
    assert {name for name, _ in real_details} == set(DETAILS)  # the run covers every type
    for name, detail in real_details:
        errors = list(validator(name).iter_errors(event(name, detail)))
        assert not errors, (name, [e.message for e in errors])
        assert "card_token" not in json.dumps(detail)


def test_a_payload_left_out_as_too_big_validates(
    real_details: list[tuple[str, dict[str, Any]]],
) -> None:
    name, detail = next(d for d in real_details if d[0] == "ShowCreated")
    validator(name).validate(event(name, {**detail, "payload": None}))


def broken(real_details: list[tuple[str, dict[str, Any]]]) -> Iterator[tuple[str, str, Any]]:
    """(what, detail-type, detail) that the envelope model refuses."""
    name, good = next(d for d in real_details if d[0] == "OrderPlaced")
    payload = good["payload"]
    yield "missing field", name, {k: v for k, v in good.items() if k != "event_id"}
    short = {k: v for k, v in payload.items() if k != "seat_labels"}
    yield "missing payload field", name, {**good, "payload": short}
    yield "extra field", name, {**good, "shard": 3}
    yield "wrong type", name, {**good, "aggregate_version": "three"}
    yield "below minimum", name, {**good, "aggregate_version": 0}
    yield "empty application", name, {**good, "application": ""}
    yield "card token", name, {**good, "payload": {**payload, "card_token": "tok_visa"}}
    yield "another type's payload", "OrderAllocated", {**good}
    name, good = next(d for d in real_details if d[0] == "PaymentStarted")
    yield "wrong payload type", name, {**good, "payload": {**good["payload"], "amount_cents": []}}


def test_details_the_models_refuse_the_schemas_refuse(
    real_details: list[tuple[str, dict[str, Any]]],
) -> None:
    for what, name, detail in broken(real_details):
        with pytest.raises(ValidationError):
            parse_detail(name, detail)
        assert not validator(name).is_valid(event(name, detail)), what


def test_the_envelope_must_name_its_type_and_source(
    real_details: list[tuple[str, dict[str, Any]]],
) -> None:
    name, detail = real_details[0]
    good = event(name, detail)
    assert validator(name).is_valid(good)
    assert not validator(name).is_valid({**good, "source": "someone.else"})
    assert not validator(name).is_valid({**good, "detail-type": "OrderPlaced2"})
    assert not validator(name).is_valid({k: v for k, v in good.items() if k != "detail"})


def test_every_example_is_a_valid_test_event() -> None:
    for name in DETAILS:
        detail = example(name)
        assert detail["test"] is True
        parse_detail(name, detail)
        validator(name).validate(event(name, detail))


def test_export_writes_one_registry_schema_per_detail_type(tmp_path: Path) -> None:
    out = tmp_path / "schemas"
    result = CliRunner().invoke(app, ["--json", "schemas", "export", str(out)])
    assert result.exit_code == 0, result.output
    written = json.loads(result.stdout)
    assert {w["detail_type"] for w in written} == set(DETAILS)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"seatledger.ticketing@{name}.json" for name in DETAILS
    )
    exported = json.loads((out / "seatledger.ticketing@OrderPlaced.json").read_text())
    assert exported == registry_schema("OrderPlaced")


def test_export_to_an_unwritable_place_fails_cleanly(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = CliRunner().invoke(app, ["schemas", "export", str(blocker)])
    assert result.exit_code == 1 and "cannot write" in result.output
