"""Reading the API's problem documents (RFC 9457) in tests."""

from typing import Any

from infra.api.problems import TYPE_PREFIX


def kind(answer: Any) -> str:
    """A problem's kind, e.g. `unknown-show`, from its type URI; '' for anything else."""
    if not isinstance(answer, dict) or not str(answer.get("type", "")).startswith(TYPE_PREFIX):
        return ""
    return str(answer["type"]).removeprefix(TYPE_PREFIX)
