"""The settings every process reads from its environment: Lambda (set by the CDK stack) and
`make up`. One model (pydantic-settings): each field's environment name is written here once,
and the CDK stack (`cdk/stack.py`), `make up` (`local/`) and the CLI take the names from it.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from infra.dynamodb import DynamoDBFactory

APP_NAME = "Ticketing"  # the application whose events every consumer follows


class Settings(BaseSettings):
    """`Settings()` reads the environment (with any values given overriding it); `of(...)`
    does not, for a stack or a test that says every value it means."""

    model_config = SettingsConfigDict(
        frozen=True,
        populate_by_name=True,
        extra="ignore",
        case_sensitive=True,
        env_ignore_empty=True,
    )

    event_table: str = Field(
        default="seatledger-events", validation_alias=DynamoDBFactory.DYNAMODB_TABLE
    )
    # The ordered index, and how many partitions it has, each with its own dense ids.
    index_table: str = Field(
        default="seatledger-events-index", validation_alias=DynamoDBFactory.DYNAMODB_INDEX_TABLE
    )
    index_partitions: int = Field(
        default=1, validation_alias=DynamoDBFactory.DYNAMODB_INDEX_PARTITIONS, ge=1
    )
    seat_map_table: str = Field(default="seatledger-seat-map", validation_alias="SEAT_MAP_TABLE")
    orders_table: str = Field(default="seatledger-orders", validation_alias="ORDERS_TABLE")
    payments_table: str = Field(default="seatledger-payments", validation_alias="PAYMENTS_TABLE")
    # The second table of each view: a rebuild fills whichever is not live, then swaps.
    seat_map_table_b: str = Field(
        default="seatledger-seat-map-b", validation_alias="SEAT_MAP_TABLE_B"
    )
    orders_table_b: str = Field(default="seatledger-orders-b", validation_alias="ORDERS_TABLE_B")
    payments_table_b: str = Field(
        default="seatledger-payments-b", validation_alias="PAYMENTS_TABLE_B"
    )
    charges_table: str = Field(
        default="seatledger-charges", validation_alias="CHARGES_TABLE"
    )  # the gateway's
    event_bus: str = Field(default="seatledger", validation_alias="EVENT_BUS_NAME")
    # Where a handler parks poison input; each function has its own.
    dead_letter_queue_url: str = Field(default="", validation_alias="DEAD_LETTER_QUEUE_URL")
    gateway_latency_ms: int = Field(
        default=0, validation_alias="SEATLEDGER_GATEWAY_LATENCY_MS", ge=0
    )
    payment_deadline_seconds: int = Field(
        default=600, validation_alias="PAYMENT_DEADLINE_SECONDS", ge=1
    )
    # Deadlines: a command that came early is sent again at its time by an EventBridge Scheduler
    # one-time schedule, to this queue (the reallocation rule's), as this role.
    deadline_queue_arn: str = Field(default="", validation_alias="DEADLINE_QUEUE_ARN")
    scheduler_role_arn: str = Field(default="", validation_alias="SCHEDULER_ROLE_ARN")
    scheduler_group: str = Field(default="default", validation_alias="SCHEDULER_GROUP")
    # Never set by the stack: test events published to the bus stay inert.
    accept_test_events: bool = Field(default=False, validation_alias="ACCEPT_TEST_EVENTS")
    # `make up` only: the gateway's dev routes, and readable log lines instead of JSON.
    dev_routes: bool = Field(default=False, validation_alias="SEATLEDGER_DEV_ROUTES")
    log_format: str = Field(default="json", validation_alias="SEATLEDGER_LOG_FORMAT")

    @classmethod
    def from_env(cls) -> Settings:
        return cls()

    @classmethod
    def of(cls, **values: Any) -> Settings:
        """These values and the defaults; the environment is not read."""
        return cls.model_construct(**_Given(**values).model_dump())

    def with_(self, **values: Any) -> Settings:
        """A copy with these values (field names) changed, validated again."""
        return Settings.of(**{**self.model_dump(), **values})

    def environment(self, *fields: str) -> dict[str, str]:
        """These fields as the environment variables that set them (all, if none named)."""
        chosen = fields or tuple(type(self).model_fields)
        return {ENV_VARS[name]: _text(getattr(self, name)) for name in chosen}


class _Given(Settings):
    """Validates given values against Settings' fields, with the environment left out."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        *args: Any,
        **kwargs: Any,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def _text(value: Any) -> str:
    return ("1" if value else "") if isinstance(value, bool) else str(value)


# Settings field -> environment variable: what Settings reads and the CDK stack sets.
ENV_VARS: dict[str, str] = {
    name: str(field.validation_alias) for name, field in Settings.model_fields.items()
}
# Fields the CDK stack never sets: test events stay inert, and the rest is `make up`'s.
NEVER_DEPLOYED = frozenset({"accept_test_events", "dev_routes", "log_format"})
