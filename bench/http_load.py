"""A lean HTTP/1.1 load generator: keep-alive connections sending prepared requests.

On a two-core machine a general-purpose client (httpx) spends about as much CPU
per request as the API does answering it, so it would measure itself. This one
sends bytes prepared once and reads just enough of each answer to find its
status and its end, so nearly all the CPU goes to the server being measured.
It times each request from its first byte sent to its answer's last byte read.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field


def prepare(path: str, body: dict, headers: dict[str, str]) -> Callable[[], bytes]:
    """A POST of `body`; a header valued "{uuid}" gets a fresh value each time."""
    payload = json.dumps(body).encode()
    fixed = {"Host": "bench", "Content-Type": "application/json",
             "Content-Length": str(len(payload)), **headers}
    fresh = [name for name, value in fixed.items() if value == "{uuid}"]

    def request() -> bytes:
        lines = [f"POST {path} HTTP/1.1"]
        lines += [f"{k}: {uuid.uuid4().hex if k in fresh else v}" for k, v in fixed.items()]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    return request


def prepare_each(requests: list[tuple[str, dict, dict[str, str]]]) -> Callable[[], bytes]:
    """POSTs of (path, body, headers), one after another: one case each, say."""
    queue = iter([prepare(path, body, headers) for path, body, headers in requests])
    return lambda: next(queue)()


@dataclass
class Load:
    """How a run of requests went: the rate, each request's seconds, and (when kept)
    each answer's body, in the order they were answered."""

    per_second: float
    seconds: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)


async def _answer(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    return status, await reader.readexactly(length)


async def send_many(port: int, request: Callable[[], bytes], *, clients: int, requests: int,
                    keep_bodies: bool = False) -> Load:
    """`requests` requests over `clients` connections, each sending one at a time."""
    each = requests // clients
    load = Load(0.0)

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(each):
                sent = time.perf_counter()
                writer.write(request())
                status, body = await _answer(reader)
                load.seconds.append(time.perf_counter() - sent)
                if not 200 <= status < 300:
                    raise RuntimeError(f"the API answered {status}: {body[:300]!r}")
                if keep_bodies:
                    load.bodies.append(body)
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    load.per_second = each * clients / (time.perf_counter() - began)
    return load


async def post_many(port: int, request: Callable[[], bytes], *, clients: int,
                    requests: int) -> float:
    """Requests per second with `clients` connections each sending one at a time."""
    return (await send_many(port, request, clients=clients, requests=requests)).per_second
