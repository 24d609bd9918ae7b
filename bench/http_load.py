"""A lean HTTP/1.1 load generator: keep-alive connections sending prepared requests.

On a two-core machine a general-purpose client (httpx) spends about as much CPU
per request as the API does answering it, so it would measure itself. This one
sends bytes prepared once and reads just enough of each answer to find its
status and its end, so nearly all the CPU goes to the server being measured.
"""

import asyncio
import json
import time
import uuid
from collections.abc import Callable


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


async def _answer(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    await reader.readexactly(length)
    return status


async def post_many(port: int, request: Callable[[], bytes], *, clients: int,
                    requests: int) -> float:
    """Requests per second with `clients` connections each sending one at a time."""
    each = requests // clients

    async def client() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for _ in range(each):
                writer.write(request())
                status = await _answer(reader)
                if not 200 <= status < 300:
                    raise RuntimeError(f"the API answered {status}")
        finally:
            writer.close()

    began = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    return each * clients / (time.perf_counter() - began)
