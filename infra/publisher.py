"""EventBridge ``PutEvents`` that never loses an entry silently.

``PutEvents`` can succeed as a call while single entries fail (``FailedEntryCount``). Entries
are sent in requests of at most 10 entries and 256 KB; failed entries, and only those, are
sent again with bounded, jittered exponential backoff. What still fails raises
`PublishError`, naming each entry by its index, so the caller can report it (for example
as a batch item failure).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from domain.contract import SOURCE, EventDetail
from infra.retry import Backoff, error_code

MAX_ENTRIES = 10
MAX_REQUEST_BYTES = 256 * 1024  # one request's entries together; one entry's limit too
TIME_BYTES = 14  # what EventBridge counts for an entry's Time
# Entry errors that a retry cannot fix.
PERMANENT_CODES = frozenset(
    {
        "MalformedDetail",
        "InvalidArgument",
        "ValidationException",
        "AccessDeniedException",
        "NotAuthorizedForSourceException",
        "ResourceNotFoundException",
        "EntryTooLarge",
    }
)


@dataclass(frozen=True)
class FailedEntry:
    index: int
    entry: dict[str, Any]
    code: str
    message: str

    def __str__(self) -> str:
        what = f"{self.entry.get('Source')}/{self.entry.get('DetailType')}"
        return f"#{self.index} {what}: {self.code} {self.message}".rstrip()


class PublishError(RuntimeError):
    def __init__(self, failed: list[FailedEntry]) -> None:
        self.failed = failed
        super().__init__(f"{len(failed)} event(s) not published: " + "; ".join(map(str, failed)))


def entry_detail(detail: EventDetail) -> str:
    """The JSON of an entry's ``Detail``; without the payload when the entry would be too big
    (consumers read the event from the store, so nothing is lost)."""
    text = detail.model_dump_json()
    size = len(text.encode()) + len(SOURCE) + len(detail.detail_type) + TIME_BYTES
    if size > MAX_REQUEST_BYTES:
        text = detail.model_copy(update={"payload": None}).model_dump_json()
    return text


def entry_size(entry: dict[str, Any]) -> int:
    """An entry's size as EventBridge counts it against the request limit."""
    size = TIME_BYTES if entry.get("Time") is not None else 0
    for key in ("Source", "DetailType", "Detail"):
        size += len(str(entry.get(key) or "").encode())
    return size + sum(len(r.encode()) for r in entry.get("Resources", []))


def requests(entries: Sequence[dict[str, Any]], indexes: list[int]) -> Iterator[list[int]]:
    """Groups of entry indexes, each fitting one request."""
    group: list[int] = []
    size = 0
    for i in indexes:
        n = entry_size(entries[i])
        if group and (len(group) == MAX_ENTRIES or size + n > MAX_REQUEST_BYTES):
            yield group
            group, size = [], 0
        group.append(i)
        size += n
    if group:
        yield group


def _put(
    client: Any, entries: Sequence[dict[str, Any]], group: list[int]
) -> dict[int, tuple[str, str]]:
    """Failures of one request, by entry index."""
    try:
        answer = client.put_events(Entries=[entries[i] for i in group])
    except ClientError as e:  # the whole request failed: retry all of it if it may help
        return {i: (error_code(e), str(e)) for i in group}
    if not answer.get("FailedEntryCount"):
        return {}
    return {
        i: (result["ErrorCode"], result.get("ErrorMessage", ""))
        for i, result in zip(group, answer["Entries"], strict=True)
        if result.get("ErrorCode")
    }


def publish(
    client: Any,
    entries: Sequence[dict[str, Any]],
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Put every entry on its bus, or raise `PublishError` naming those that failed."""
    backoff = backoff or Backoff(attempts=5, base=0.05, cap=2.0)
    failed = {
        i: ("EntryTooLarge", f"{entry_size(e)} bytes > {MAX_REQUEST_BYTES}")
        for i, e in enumerate(entries)
        if entry_size(e) > MAX_REQUEST_BYTES
    }
    pending = [i for i in range(len(entries)) if i not in failed]
    sleeps = backoff.sleeps()
    while pending:
        for group in requests(entries, pending):
            failed.update(_put(client, entries, group))
        pending = [i for i in sorted(failed) if failed[i][0] not in PERMANENT_CODES]
        if not pending:
            break
        delay = next(sleeps, None)
        if delay is None:
            break
        for i in pending:
            del failed[i]  # these are sent again
        sleep(delay)
    if failed:
        raise PublishError([FailedEntry(i, dict(entries[i]), *failed[i]) for i in sorted(failed)])
