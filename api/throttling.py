"""Throttled credential checks: bearer tokens and the sign-in page (services/platform/throttle.py).

A credential from an address or account that must wait is held (asyncio, so no
thread waits) when the wait is short and few requests are already held, and
otherwise refused with 429 and `Retry-After`: holding is bounded, so guessing
cannot tie up the server. The check comes before the credential is verified, so
a throttled guess learns nothing. A token this process recognised moments ago
(the token cache) is not counted, so busy API clients are not slowed by their
own success.
"""

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable

import jwt
from fastapi import Request

from domain.identity import Principal
from services.identity.service import IdentityService, Unauthenticated, looks_like_jwt
from services.platform import metrics
from services.platform.settings import Settings
from services.platform.throttle import FailureThrottle, Key, Limits

log = logging.getLogger("casework.throttle")


class Throttled(Exception):
    """Too many failed credentials from this address or for this account: try later."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed sign-ins: try again in {self.retry_after} s")


class Gate:
    """The process's throttle, and how long it may hold requests."""

    def __init__(self, settings: Settings) -> None:
        self.throttle = FailureThrottle(Limits(
            address_failures=settings.throttle_address_failures,
            account_failures=settings.throttle_account_failures,
            first_delay=settings.throttle_first_delay, max_delay=settings.throttle_max_delay,
            forget_after=settings.throttle_forget_after,
            max_tracked=settings.throttle_max_tracked))
        self.max_hold = settings.throttle_max_hold
        self.max_held = settings.throttle_max_held
        self.held = 0

    async def admit(self, keys: list[Key], way: str, *, count: bool) -> None:
        """Return when these keys may try; raise Throttled when that is too far off.

        An attempt that will be checked is counted as it is admitted, before any hold,
        so the next one waits behind it: a burst is served one by one, not all at once."""
        now = time.monotonic()
        wait = self.throttle.wait(keys, now)
        if wait > self.max_hold or (wait > 0 and self.held >= self.max_held):
            metrics.SIGN_INS_THROTTLED.labels(way, "refused").inc()
            log.info("casework: sign-in refused for %.1f s more (%s)", wait, _named(keys),
                     extra={"way": way, "retry_after": wait, **_fields(keys)})
            raise Throttled(wait)
        if count:
            self.throttle.begin(keys, now)
        if wait <= 0:
            return
        metrics.SIGN_INS_THROTTLED.labels(way, "held").inc()
        self.held += 1
        try:
            await asyncio.sleep(wait)
        finally:
            self.held -= 1


def gate(request: Request) -> Gate:
    return request.app.state.throttle


def keys_for(request: Request, token: str) -> list[Key]:
    """The client address (uvicorn's, which trusts X-Forwarded-For only from
    FORWARDED_ALLOW_IPS) and, when the token names one, the account."""
    client = request.client
    keys = [Key("address", client.host if client else "unknown")]
    account = _account_named(token)
    if account:
        keys.append(Key("account", account))
    return keys


def _account_named(token: str) -> str | None:
    """The subject an OIDC token claims (unverified: it only picks whose count to add to).
    A local token is random and names no account."""
    if not looks_like_jwt(token):
        return None
    try:
        subject = jwt.decode(token, options={"verify_signature": False}).get("sub")
    except jwt.PyJWTError:
        return None
    return str(subject)[:200] if subject else None


async def checked(request: Request, token: str, way: str,
                  verify: Callable[[Request, str], Awaitable[Principal]]) -> Principal:
    """`verify(request, token)` behind the throttle; a failure is counted, logged and
    raised as the Unauthenticated it was."""
    keys = keys_for(request, token)
    throttle = gate(request)
    identity: IdentityService = request.app.state.identity
    known = not looks_like_jwt(token) and identity.recognised(token) is not None
    await throttle.admit(keys, way, count=not known)  # known good moments ago: not counted
    if known:
        return await verify(request, token)
    try:
        principal = await verify(request, token)
    except Unauthenticated:
        _failed(throttle.throttle, keys, way)
        raise
    throttle.throttle.succeeded(keys)
    return principal


def _failed(throttle: FailureThrottle, keys: list[Key], way: str) -> None:
    metrics.SIGN_IN_FAILURES.labels(way).inc()
    counts = {k.kind: throttle.failures(k) for k in keys}
    log.warning("casework: failed sign-in (%s): %s; failures: %s", way, _named(keys),
                ", ".join(f"{kind} {n}" for kind, n in counts.items()),
                extra={"way": way, **_fields(keys),
                       **{f"{kind}_failures": n for kind, n in counts.items()}})


def _named(keys: list[Key]) -> str:
    return ", ".join(f"{k.kind} {k.value}" for k in keys)


def _fields(keys: list[Key]) -> dict[str, str]:
    return {f"client_{k.kind}": k.value for k in keys}

