"""The audit log: one JSON line per guarded decision and per outcome, secrets redacted.

Every field goes through ``redact`` (``novita_mcp.guard.redact``): values under secret-looking
names are masked at any depth, the API key wherever it appears, long strings are trimmed.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from novita_mcp.guard.redact import redact

__all__ = ["AuditLog", "redact"]


class AuditLog:
    def __init__(self, path: Path, secrets: tuple[str, ...] = (),
                 sink: Callable[[dict[str, Any]], None] | None = None) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._secrets = secrets
        self._lock = threading.Lock()
        # A second copy of each (redacted) record, e.g. the shared database of replicas; it never raises.
        self._sink = sink

    def __repr__(self) -> str:
        return f"AuditLog({str(self.path)!r})"

    def write(self, event: str, tool: str, **fields: Any) -> None:
        record = {"time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "event": event, "tool": tool}
        # The field names here are the audit's own; what they hold is redacted at every depth.
        record.update({k: redact(v, self._secrets) for k, v in fields.items() if v is not None})
        line = json.dumps(record, default=str, ensure_ascii=False)
        with self._lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
        if self._sink is not None:
            self._sink(record)

    def read(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line.strip()]
