"""A bundle's zip read as every tool reads it, before its contents are trusted.

Python's zipfile reads a zip by its central directory, and takes the last of two
entries with one name; other tools read the local headers in order, or take the
first. A forger can use the difference: an entry named twice, a forged file
hidden before the first entry or between two (found by a streaming reader, not
by the directory), a local header whose sizes differ from the directory's. So
the offline check first requires the layout casework writes: each name once,
each entry starting where the one before ended, from the first byte to the
central directory, its local header agreeing with the directory, stored or
deflated and never encrypted, and no entry declaring far more bytes than its
compressed data could hold (a zip bomb would be read whole before its history
could be refused). The first entry that breaks this is named, with why.
"""

import struct
import zipfile
from typing import IO

_LOCAL = struct.Struct("<4sHHHHHIIIHH")
"""A local file header: signature, version, flags, method, time, date, CRC, sizes,
name and extra-field lengths."""
_LOCAL_SIGNATURE = b"PK\x03\x04"
_ENCRYPTED, _DESCRIPTOR = 0x1, 0x8
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
_DESCRIPTOR_MOST = 24
"""The longest data descriptor (signature, CRC and two 8-byte sizes)."""
_ZIP64_SIZE = 0xFFFFFFFF
MOST_INFLATED = 100
"""The most bytes an entry may declare per byte of its compressed data (deflate gives at
most 1032 from long runs; a history, hashes on every line, under 20)."""
_ALLOWANCE = 1024 * 1024

Found = tuple[str, str]
"""The entry's name and what is wrong with it."""


def layout_problem(bundle: zipfile.ZipFile) -> Found | None:
    """The first entry not laid out as casework writes a bundle, or None."""
    seen: set[str] = set()
    for info in bundle.infolist():
        if info.filename in seen:
            return info.filename, ("the bundle holds two entries by this name: tools "
                                   "disagree on which is read, so one was added (forged)")
        seen.add(info.filename)
        found = _entry_problem(info)
        if found is not None:
            return info.filename, found
    assert bundle.fp is not None
    return _gaps(bundle, bundle.fp)


def _entry_problem(info: zipfile.ZipInfo) -> str | None:
    if info.flag_bits & _ENCRYPTED:
        return "it is encrypted: casework never encrypts an entry (added or replaced)"
    if info.compress_type not in _METHODS:
        return ("it is compressed in a way casework never uses (method "
                f"{info.compress_type}): added or replaced")
    if info.file_size > info.compress_size * MOST_INFLATED + _ALLOWANCE:
        return (f"it declares {info.file_size} bytes from {info.compress_size} compressed: "
                "no file casework writes inflates so far (a zip bomb)")
    return None


def _gaps(bundle: zipfile.ZipFile, file: IO[bytes]) -> Found | None:
    """Every byte from the start to the central directory belongs to an entry in it."""
    end = 0
    for info in sorted(bundle.infolist(), key=lambda i: i.header_offset):
        if info.header_offset != end:
            return info.filename, ("bytes no entry accounts for lie before it (a file "
                                   "hidden from the zip's directory: forged)")
        file.seek(info.header_offset)
        header = file.read(_LOCAL.size)
        if len(header) < _LOCAL.size:
            return info.filename, "its local header is cut short"
        found = _header_problem(info, _LOCAL.unpack(header))
        if found is not None:
            return info.filename, found
        name_length, extra_length = _LOCAL.unpack(header)[9:11]
        end = (info.header_offset + _LOCAL.size + name_length + extra_length
               + info.compress_size)
        if info.flag_bits & _DESCRIPTOR:
            end = _after_descriptor(bundle, info, end)
    if end != bundle.start_dir:
        return "", "bytes no entry accounts for lie before the zip's directory (forged)"
    return None


def _header_problem(info: zipfile.ZipInfo, header: tuple[object, ...]) -> str | None:
    signature, _, flags, method, _, _, crc, packed, size = header[:9]
    if signature != _LOCAL_SIGNATURE:
        return "no entry begins where the zip's directory says it does (forged)"
    if method != info.compress_type or flags != info.flag_bits:
        return "its local header disagrees with the zip's directory (forged)"
    if info.flag_bits & _DESCRIPTOR:
        return None  # the sizes follow the data, checked by reading it
    if crc != info.CRC or _differs(packed, info.compress_size) or _differs(size,
                                                                           info.file_size):
        return "its local header's size or checksum disagrees with the zip's directory " \
               "(forged)"
    return None


def _differs(local: object, central: int) -> bool:
    return local != central and local != _ZIP64_SIZE


def _after_descriptor(bundle: zipfile.ZipFile, info: zipfile.ZipInfo, end: int) -> int:
    """Where the entry ends after its data descriptor: the next entry's start if that is
    no further than the longest descriptor, else just past the data (a gap found)."""
    starts = [i.header_offset for i in bundle.infolist() if i.header_offset >= end]
    following = min(starts, default=bundle.start_dir)
    return following if following - end <= _DESCRIPTOR_MOST else end
