"""Time for the sandbox: the wall clock, or a manual clock that tests advance."""

from __future__ import annotations

import time
from typing import Protocol

__all__ = ["Clock", "SystemClock", "ManualClock"]


class Clock(Protocol):
    def now(self) -> float:
        """Unix seconds."""
        ...


class SystemClock:
    """Real time, optionally running faster (``speed=10`` makes a 60 s boot take 6 s)."""

    def __init__(self, speed: float = 1.0) -> None:
        self._speed = speed
        self._start_real = time.time()
        self._offset = 0.0

    def now(self) -> float:
        real = time.time()
        return self._start_real + (real - self._start_real) * self._speed + self._offset

    def advance(self, seconds: float) -> None:
        self._offset += seconds


class ManualClock:
    """Stands still until ``advance`` is called: nothing in the tests sleeps."""

    def __init__(self, start: float = 1_790_000_000.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self._now += seconds
