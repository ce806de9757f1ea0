"""The emulator's clock: real time plus an offset that only grows (time never runs backwards)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta


def _utc_now() -> datetime:
    return datetime.now(UTC)


class EmulatedClock:
    """Ticks with real time from `start` (default: now); `advance` moves it forward for everyone
    in this process: the handlers, the SLA sweep, the digest tick and the delivery worker."""

    def __init__(
        self, start: datetime | None = None, *, real: Callable[[], datetime] = _utc_now
    ) -> None:
        self._real = real
        self._lock = threading.Lock()
        self._offset = (start - real()) if start is not None else timedelta(0)

    def now(self) -> datetime:
        return self._real() + self._offset

    def advance(self, by: timedelta) -> datetime:
        """Move forward by `by` (which must be positive); returns the new now."""
        if by <= timedelta(0):
            raise ValueError("the emulated clock only moves forward")
        with self._lock:
            self._offset += by
        return self.now()

    def jump_to(self, moment: datetime) -> datetime:
        """Move forward to `moment`; a moment already past changes nothing."""
        with self._lock:
            gap = moment - self.now()
            if gap > timedelta(0):
                self._offset += gap
        return self.now()
