"""A document's bytes sealed under its case's data key, a chunk at a time.

A kept document is a 12-byte header and then its chunks: each CHUNK bytes of the
file (the last shorter, or empty for an empty file) sealed with AES-256-GCM, 16
bytes longer than the bytes it seals. The header is `cwd1` and 8 random bytes
drawn for that copy; a chunk's nonce is those 8 bytes and the chunk's index, and
its associated data names the case, the index and whether it is the last, so a
chunk moved to another place, another copy or another case, or a copy cut short
after a whole chunk, does not open. Nothing else is needed to read it back but
the case's key: destroy that key and every copy, backups included, is noise.

A store built without encryption (`CASEWORK_ENCRYPTION=off`, for the benchmark's
comparison only) writes the header `cwd0` and eight zero bytes, then the bytes as
they came; a reader tells the two apart by the header.

The SHA-256 a case records is of the plain bytes, as before: a reader hashes what
it unseals, so a sealed copy that no longer opens, or opens to other bytes, is
found as a changed file is (`matches`, `document_tampered`).
"""

import os
from collections.abc import Iterable, Iterator
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 1024 * 1024
"""How many plain bytes a sealed chunk holds (the last fewer)."""
TAG = 16
SEALED_CHUNK = CHUNK + TAG
"""How many bytes a whole chunk takes once sealed."""
SEALED = b"cwd1"
PLAIN = b"cwd0"
HEADER = 12
"""The header's length: four bytes saying the format, eight of the copy's nonce."""


class Unreadable(Exception):
    """A chunk that does not open under the case's key: changed, moved or cut short."""


def new_header(*, sealed: bool) -> bytes:
    return SEALED + os.urandom(8) if sealed else PLAIN + bytes(8)


def is_sealed(header: bytes) -> bool:
    """Whether a copy is sealed (True) or plain (False); Unreadable for a header of
    neither kind (not one of this format's copies)."""
    if len(header) != HEADER or header[:4] not in (SEALED, PLAIN):
        raise Unreadable("not a kept document's header")
    return header[:4] == SEALED


def _nonce(header: bytes, index: int) -> bytes:
    return header[4:12] + index.to_bytes(4, "big")


def _aad(case_id: UUID, index: int, last: bool) -> bytes:
    return b"|".join((SEALED, str(case_id).encode(), str(index).encode(), b"1" if last else b"0"))


def rechunked(chunks: Iterable[bytes], size: int = CHUNK) -> Iterator[bytes]:
    """The bytes again in chunks of `size` (the last shorter); an empty input gives one
    empty chunk, so every copy has a last chunk. A chunk that arrives whole is passed on
    as it is, and no chunk is copied more than once."""
    pending = bytearray()
    gave = False
    for chunk in chunks:
        if not pending and len(chunk) == size:
            yield chunk
            gave = True
            continue
        pending += chunk
        while len(pending) >= size:
            with memoryview(pending) as view:
                whole = bytes(view[:size])
            del pending[:size]
            yield whole
            gave = True
    if pending or not gave:
        yield bytes(pending)


def _marked(chunks: Iterable[bytes], size: int) -> Iterator[tuple[int, bytes, bool]]:
    """(index, chunk, is it the last) for each chunk of `rechunked`."""
    ahead: bytes | None = None
    index = 0
    for chunk in rechunked(chunks, size):
        if ahead is not None:
            yield index, ahead, False
            index += 1
        ahead = chunk
    assert ahead is not None  # rechunked always gives at least one chunk
    yield index, ahead, True


def seal(chunks: Iterable[bytes], *, key: bytes | None, case_id: UUID,
         header: bytes) -> Iterator[bytes]:
    """The stored chunks for these plain bytes, one CHUNK at a time (the header is the
    caller's to keep); plain when `key` is None and the header says so."""
    if not is_sealed(header):
        yield from rechunked(chunks)
        return
    assert key is not None, "a sealed copy needs its case's key"
    aes = AESGCM(key)
    for index, chunk, last in _marked(chunks, CHUNK):
        yield aes.encrypt(_nonce(header, index), chunk, _aad(case_id, index, last))


def unseal(stored: Iterable[bytes], *, key: bytes | None, case_id: UUID,
           header: bytes) -> Iterator[bytes]:
    """The plain bytes of the stored chunks (each SEALED_CHUNK bytes but the last, as
    `seal` gave them); Unreadable at the first that does not open, or when the last
    chunk is missing."""
    if not is_sealed(header):
        yield from stored
        return
    if key is None:
        raise Unreadable("the case's key is destroyed")
    aes = AESGCM(key)
    for index, chunk, last in _marked(stored, SEALED_CHUNK):
        try:
            yield aes.decrypt(_nonce(header, index), chunk, _aad(case_id, index, last))
        except InvalidTag:
            raise Unreadable(f"chunk {index} does not open under the case's key") from None
