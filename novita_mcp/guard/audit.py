"""The audit log: one JSON line per guarded decision and per outcome, secrets redacted."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["AuditLog", "redact"]

_SECRET_KEYS = re.compile(r"(pass(word)?|secret|token|api[_-]?key|authorization|credential|private)", re.I)
_MAX_STRING = 200


def redact(value: Any, secrets: tuple[str, ...] = ()) -> Any:
    """Arguments as they may be written down: secret fields masked, long strings trimmed."""
    if isinstance(value, dict):
        return {k: ("***" if _SECRET_KEYS.search(str(k)) else redact(v, secrets)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, secrets) for v in value]
    if isinstance(value, str):
        for secret in secrets:
            if secret:
                value = value.replace(secret, "***")
        return value if len(value) <= _MAX_STRING else value[:_MAX_STRING] + f"…(+{len(value) - _MAX_STRING} chars)"
    return value


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
