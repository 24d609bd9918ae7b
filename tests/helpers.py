"""Small helpers shared by the tests."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

T = TypeVar("T")

OPEN_CASE = dict(
    authority="Northshire County Council",
    region="North West",
    summary="Children's services judged inadequate",
    source="inspectorate report",
    issue_type="service-specific issue",
)


EXIT_STRATEGY = dict(
    handover="Into the council's continuous budget and performance improvement cycle",
    led_by="The chief executive")
"""What a case handed back as improved must say (seed 004's Liverpool study)."""


async def eventually(check: Callable[[], T | Awaitable[T]], *, timeout: float = 20,
                     interval: float = 0.2) -> T:
    """Poll until `check` returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if asyncio.iscoroutine(value):
            value = await value
        if value or time.monotonic() > deadline:
            assert value, f"still {value!r} after {timeout}s"
            return value
        await asyncio.sleep(interval)


def event_types(history: list[dict]) -> list[str]:
    return [e["type"] for e in history]


ISSUER = "https://login.example.gov.uk"
"""The identity provider the OIDC tests trust (the `provider` fixture publishes its key)."""


def signing_key(kid: str) -> tuple[rsa.RSAPrivateKey, dict[str, Any]]:
    """A new RSA key and its public half as a JWK, as an identity provider publishes it."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(RSAAlgorithm.to_jwk(private.public_key()))
    return private, {**public, "kid": kid, "use": "sig", "alg": "RS256"}


def id_token(private: rsa.RSAPrivateKey, *, kid: str = "key-1", issuer: str = ISSUER,
             minutes: int = 5, **claims: Any) -> str:
    """A JWT the identity provider would issue for casework, signed with `private`."""
    now = datetime.now(UTC)
    payload = {"iss": issuer, "sub": "dana@northwest.example", "aud": "casework",
               "iat": now, "exp": now + timedelta(minutes=minutes), **claims}
    return jwt.encode(payload, private, algorithm="RS256", headers={"kid": kid})
