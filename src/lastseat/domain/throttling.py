"""Login throttling: too many bad passwords for one account or from one address lock it out,
for a time that doubles with every further failure (capped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ThrottleRules:
    max_failures: int  # failures allowed in a window before a lockout
    window: timedelta
    base_lockout: timedelta
    max_lockout: timedelta

    def lockout(self, failures: int) -> timedelta | None:
        """How long to lock after `failures` in the window; None while under the limit."""
        excess = failures - self.max_failures
        if excess < 0:
            return None
        lockout: timedelta = self.base_lockout * (2 ** min(excess, 20))
        return min(lockout, self.max_lockout)


def retry_after_seconds(locked_until: datetime, now: datetime) -> int:
    return max(1, int((locked_until - now).total_seconds() + 0.999))
