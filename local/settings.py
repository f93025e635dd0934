"""`make up`'s own settings (the ledger's are `infra.settings`): one model, each environment
name written once; the CLI reads the data directory from here too."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from local.dynamodb import PROJECT_ROOT


class StackSettings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        populate_by_name=True,
        extra="ignore",
        case_sensitive=True,
        env_ignore_empty=True,
    )

    api_port: int = Field(default=8080, validation_alias="SEATLEDGER_API_PORT", ge=0, le=65535)
    dynamodb_port: int = Field(
        default=8000, validation_alias="SEATLEDGER_DYNAMODB_PORT", ge=0, le=65535
    )
    # Data, logs, stream checkpoints and stack.json (which the CLI reads).
    data_dir: Path = Field(
        default=PROJECT_ROOT / ".seatledger", validation_alias="SEATLEDGER_DATA_DIR"
    )
    api_workers: int = Field(
        default=2, validation_alias="SEATLEDGER_API_WORKERS", ge=1
    )  # processes on the port
    queue_workers: int = Field(
        default=4, validation_alias="SEATLEDGER_QUEUE_WORKERS", ge=1
    )  # threads per queue
    # The listening socket an API process inherits from the stack (set by the stack only).
    api_fd: int | None = Field(default=None, validation_alias="SEATLEDGER_API_FD")


def env_name(field: str) -> str:
    """The environment variable of one of StackSettings' fields."""
    return str(StackSettings.model_fields[field].validation_alias)
