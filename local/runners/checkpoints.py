"""Where a stream poller stands in each shard, kept in a small JSON file."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class ShardCheckpoints:
    """Per shard: the last sequence number fully processed, and whether the shard is drained.

    Saved after every change, by replacing the file: a crash leaves the old or the new
    version, never half of one, so a restart neither skips nor hands on again more than one batch.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._shards: dict[str, dict[str, Any]] = {}
        if path.exists():
            self._shards = json.loads(path.read_text())["shards"]

    def position(self, shard: str) -> str | None:
        seq: str | None = self._shards.get(shard, {}).get("seq")
        return seq

    def drained(self, shard: str) -> bool:
        return bool(self._shards.get(shard, {}).get("drained"))

    def advance(self, shard: str, seq: str) -> None:
        entry = self._shards.setdefault(shard, {"seq": None, "drained": False})
        # Sequence numbers are decimal strings whose width varies: compare them as numbers.
        if entry["seq"] is None or int(seq) > int(entry["seq"]):
            entry["seq"] = seq
            self._save()

    def drain(self, shard: str) -> None:
        self._shards.setdefault(shard, {"seq": None, "drained": False})["drained"] = True
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({"shards": self._shards}, indent=1, sort_keys=True))
        os.replace(tmp, self.path)
