"""Slowing down guessed credentials: a doubling delay per client address and per account.

Every wrong token (a bearer token, or one pasted into the sign-in page) counts
against the address it came from and, when it names one, the account. Past a
free allowance each further failure pushes that key's next permitted attempt
back by a delay that doubles, never more than `max_delay` from now: an attacker
is slowed to one guess per `max_delay`, and a person who then types the right
token waits at most that long. Attempts refused while a key waits are not
failures, so hammering does not lengthen the wait.

The state is this process's memory, on purpose: it costs no store round trip on
the path every request takes, and losing it on a restart only forgives some
failures. With several API processes each keeps its own count, so the limits
hold per process (docs/security.md). Entries are forgotten after a quiet
`forget_after`, and at most `max_tracked` are kept, so memory stays bounded.
"""

from collections import OrderedDict
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Limits:
    """The free failures per key kind, the first delay, and the bounds (seconds)."""

    address_failures: int = 20
    account_failures: int = 5
    first_delay: float = 1.0
    max_delay: float = 60.0
    forget_after: float = 900.0
    max_tracked: int = 10_000


@dataclass
class _Record:
    failures: int = 0
    next_attempt: float = 0.0
    last_failure: float = 0.0


@dataclass(frozen=True)
class Key:
    """Whose failures: `kind` is "address" or "account"."""

    kind: str
    value: str


@dataclass
class FailureThrottle:
    """Failure counts per key, and when each key may next try. No I/O; `now` is given."""

    limits: Limits = field(default_factory=Limits)
    _records: OrderedDict[Key, _Record] = field(default_factory=OrderedDict)

    def wait(self, keys: list[Key], now: float) -> float:
        """Seconds until every one of `keys` may try again (0: now)."""
        waits = [self._records[k].next_attempt - now for k in keys if k in self._records]
        return max([0.0, *waits])

    def begin(self, keys: list[Key], now: float) -> None:
        """An attempt is about to be checked: count it as a failure until it succeeds, so
        a burst of simultaneous guesses is throttled as if they came one by one."""
        for key in keys:
            self._fail(key, now)
        self._prune(now)

    def succeeded(self, keys: list[Key]) -> None:
        """The attempt was right: take back its count; the account's failures are forgiven."""
        for key in keys:
            record = self._records.get(key)
            if record is None:
                continue
            if key.kind == "account":
                del self._records[key]
            else:
                record.failures = max(0, record.failures - 1)

    def failures(self, key: Key) -> int:
        record = self._records.get(key)
        return record.failures if record else 0

    def _free(self, key: Key) -> int:
        limits = self.limits
        return limits.account_failures if key.kind == "account" else limits.address_failures

    def _fail(self, key: Key, now: float) -> None:
        record = self._records.pop(key, None) or _Record()
        self._records[key] = record  # most recent last, so the oldest go first
        if now - record.last_failure > self.limits.forget_after:
            record.failures = 0
        record.failures += 1
        record.last_failure = now
        over = record.failures - self._free(key)
        if over > 0:
            delay = min(self.limits.first_delay * 2 ** min(over - 1, 32), self.limits.max_delay)
            record.next_attempt = min(max(record.next_attempt, now) + delay,
                                      now + self.limits.max_delay)

    def _prune(self, now: float) -> None:
        """Forget quiet keys, and the oldest beyond `max_tracked`."""
        while self._records:
            key, record = next(iter(self._records.items()))
            quiet = now - record.last_failure > self.limits.forget_after
            if not quiet and len(self._records) <= self.limits.max_tracked:
                break
            del self._records[key]
