"""`casework verify` on bundles forged at the level of the zip itself: a name twice,
a file hidden from the zip's directory, a local header that disagrees with it, an
entry encrypted, compressed oddly, corrupt or a bomb. Each is caught and named (exit
1), never a traceback, and never read whole into memory."""

import struct
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.integration.test_bundle_check import made_bundle

DOCUMENT = "documents/document-1-minutes.txt"


@pytest.fixture
def bundle(cases, tmp_path) -> Path:
    return made_bundle(cases, tmp_path)


def verify(path: Path) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "deploy.cli", "verify", str(path)],
                          capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": str(Path.cwd())})
    return done.returncode, done.stdout, done.stderr


def caught(path: Path, name: str, words: str) -> None:
    """Exit 1, the report naming `name` and saying `words`, no traceback."""
    code, out, err = verify(path)
    assert "Traceback" not in err, err
    assert code == 1, (out, err)
    assert f'"file": "{name}"' in out and words in out, out


def copied(source: Path, target: Path, *, first: tuple[str, bytes] | None = None,
           deflated: bool = False) -> Path:
    """The bundle re-zipped entry by entry, after `first` (an entry written before it)."""
    compression = zipfile.ZIP_DEFLATED if deflated else zipfile.ZIP_STORED
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", compression) as new:
        if first is not None:
            new.writestr(*first)
        for info in old.infolist():
            new.writestr(info.filename, old.read(info))
    return target


def patched(path: Path, name: str, change) -> Path:
    """The zip with `change(data, central, local)` applied to the bytes, given where
    `name`'s central directory record and local header start."""
    data = bytearray(path.read_bytes())
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46:central + 46 + length].decode() == name:
            change(data, central, struct.unpack_from("<I", data, central + 42)[0])
        central = data.find(b"PK\x01\x02", central + 4)
    path.write_bytes(data)
    return path


@pytest.mark.filterwarnings("ignore:Duplicate name")  # (zipfile warns as it forges)
@pytest.mark.parametrize("name", [DOCUMENT, "history.jsonl"])
def test_an_entry_named_twice_is_caught_whichever_copy_a_tool_reads(bundle, tmp_path, name):
    forged = copied(bundle, tmp_path / "twice.zip", first=(name, b"forged\n"))
    caught(forged, name, "two entries by this name")


def test_a_file_hidden_before_the_zips_first_entry_is_caught(bundle, tmp_path):
    hidden = tmp_path / "hidden.zip"
    with zipfile.ZipFile(hidden, "w") as zipped:
        zipped.writestr(DOCUMENT, b"Minutes a streaming reader would find\n")
    local = hidden.read_bytes()[:hidden.read_bytes().find(b"PK\x01\x02")]
    forged = tmp_path / "prefixed.zip"
    forged.write_bytes(local + bundle.read_bytes())  # the directory still finds the rest
    caught(forged, "history.jsonl", "hidden from the zip's directory")


def test_a_local_header_whose_size_differs_from_the_directory_is_caught(bundle, tmp_path):
    def shorten(data, central, local):
        struct.pack_into("<I", data, local + 18, 3)  # compressed size, local header only
    forged = patched(copied(bundle, tmp_path / "sized.zip"), DOCUMENT, shorten)
    caught(forged, DOCUMENT, "disagrees with the zip's directory")


@pytest.mark.parametrize("offset, value, words", [
    (8, 1, "encrypted"),               # general purpose flag: encrypted
    (10, 99, "compressed in a way")])  # compression method: AES, which casework never uses
def test_an_entry_encrypted_or_oddly_compressed_is_named(bundle, tmp_path, offset, value,
                                                          words):
    def mark(data, central, local):
        struct.pack_into("<H", data, central + offset, value)
        struct.pack_into("<H", data, local + offset - 2, value)
    forged = patched(copied(bundle, tmp_path / "odd.zip"), DOCUMENT, mark)
    caught(forged, DOCUMENT, words)


@pytest.mark.parametrize("name", [DOCUMENT, "history.jsonl"])
def test_an_entry_whose_compressed_data_is_corrupt_is_named(bundle, tmp_path, name):
    source = copied(bundle, tmp_path / "deflated.zip", deflated=True)

    def corrupt(data, central, local):
        start = local + 30 + struct.unpack_from("<H", data, local + 26)[0]
        for at in range(start, start + 12):
            data[at] ^= 0xFF
    caught(patched(source, name, corrupt), name, "cannot be read")


def test_a_history_that_inflates_to_gigabytes_is_refused_before_it_is_read(bundle,
                                                                          tmp_path):
    forged = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bundle) as old, \
            zipfile.ZipFile(forged, "w", zipfile.ZIP_DEFLATED) as new:
        with new.open("history.jsonl", "w", force_zip64=True) as history:
            for _ in range(200):
                history.write(b"\n" * (1024 * 1024))
        for info in old.infolist()[1:]:
            new.writestr(info.filename, old.read(info))
    assert forged.stat().st_size < 1024 * 1024
    caught(forged, "history.jsonl", "zip bomb")
