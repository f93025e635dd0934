"""The read-model tables on DynamoDB Local: a table made before an index existed gains it."""

from __future__ import annotations

from infra.tables import BY_SHOW, SEAT_MAP, SHOWS_BY_TIME, TableSpec, create_request, ensure_tables
from infra.wiring import dynamodb
from tests.integration.pipeline_stack import fresh_settings


def test_a_seat_map_table_made_before_the_shows_index_gains_it() -> None:
    # GIVEN a seat-map table as an older version made it: the by_show index only
    settings, client = fresh_settings(), dynamodb()
    name = SEAT_MAP.name(settings)
    client.create_table(**create_request(TableSpec(SEAT_MAP.role, (BY_SHOW,)), name))
    # WHEN the stack starts again THEN it has both indexes, and the shows index answers
    ensure_tables(client, settings)
    table = client.describe_table(TableName=name)["Table"]
    assert {i["IndexName"] for i in table["GlobalSecondaryIndexes"]} == {
        BY_SHOW.name,
        SHOWS_BY_TIME.name,
    }
    client.put_item(
        TableName=name,
        Item={"pk": {"S": "show#1"}, "listing": {"S": "shows"}, "created_at": {"S": "2026"}},
    )
    found = client.query(
        TableName=name,
        IndexName=SHOWS_BY_TIME.name,
        KeyConditionExpression="listing = :v",
        ExpressionAttributeValues={":v": {"S": "shows"}},
    )
    assert [i["pk"]["S"] for i in found["Items"]] == ["show#1"]
