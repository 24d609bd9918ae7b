"""Uploading over a socket we control: multipart bodies built byte by byte (so a test
can send what no well-behaved client would), and a sender that stops the moment the
server answers, counting what it sent."""

import select
import socket
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from urllib.parse import urlparse

BOUNDARY = "casework-test-boundary"


def part(name: str, value: bytes | str, filename: str | bytes | None = None,
         content_type: str = "application/octet-stream") -> bytes:
    """One part of a multipart/form-data body; `filename` is sent as given (bytes: raw)."""
    disposition = f'form-data; name="{name}"'.encode()
    if filename is not None:
        raw = filename if isinstance(filename, bytes) else filename.encode()
        disposition += b'; filename="' + raw + b'"'
    headers = b"Content-Disposition: " + disposition + b"\r\n"
    if filename is not None:
        headers += f"Content-Type: {content_type}\r\n".encode()
    data = value.encode() if isinstance(value, str) else value
    return b"--" + BOUNDARY.encode() + b"\r\n" + headers + b"\r\n" + data + b"\r\n"


def body(*parts: bytes) -> bytes:
    return b"".join(parts) + b"--" + BOUNDARY.encode() + b"--\r\n"


FIELDS = dict(title="Ofsted inspection letter", kind="inspection report",
              step="the concern's intelligence", step_ref="", confidentiality="normal")


def form(data: bytes, filename: str | bytes = "letter.pdf", **fields: str) -> bytes:
    """A whole form: the fields (FIELDS unless overridden) and one file."""
    given = {**FIELDS, **fields}
    return body(*(part(k, v) for k, v in given.items()), part("file", data, filename))


CONTENT_TYPE = f"multipart/form-data; boundary={BOUNDARY}"


@dataclass
class Sent:
    status: int
    answer: bytes
    sent: int


def send_until_answered(url: str, path: str, headers: dict[str, str],
                        chunks: Iterable[bytes], *, chunked: bool) -> Sent:
    """POST the chunks (chunked transfer or as given), stopping as soon as the server
    answers; how many body bytes were sent by then."""
    where = urlparse(url)
    with socket.create_connection((where.hostname, where.port), timeout=30) as sock:
        head = f"POST {path} HTTP/1.1\r\nHost: {where.netloc}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items())
        if chunked:
            head += "Transfer-Encoding: chunked\r\n"
        sock.sendall((head + "\r\n").encode())
        sent = 0
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break
            framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk
            try:
                sock.sendall(framed)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += len(chunk)
        answer = _read_answer(sock)
    status = int(answer.split(b" ", 2)[1]) if answer else 0
    return Sent(status, answer, sent)


def _read_answer(sock: socket.socket) -> bytes:
    answer, deadline = b"", time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            got = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            break
        if not got:
            break
        answer += got
        if b"\r\n\r\n" in answer and answer.rstrip().endswith(b"}"):
            break
    return answer


def zeros(total: int, chunk: int = 1024 * 1024) -> Iterator[bytes]:
    """`total` zero bytes, made lazily a chunk at a time (2 GB is never in memory)."""
    block = b"\0" * chunk
    while total > 0:
        yield block[:min(chunk, total)]
        total -= chunk
