"""Ed25519 signatures on checkpoints, with keys kept outside the database.

Whoever can write the database can recompute every link of a hash chain; they
cannot sign. The private key lives in a file (CASEWORK_CHECKPOINT_KEY_FILE),
readable by the service's user only; inspectors keep the public key. A key is
named by its id (the start of the SHA-256 of its raw public bytes), so that
after a rotation each checkpoint says which key signed it and old ones stay
verifiable with the old public key.
"""

import base64
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from services.platform.settings import private_directory

SCHEME = "casework-checkpoint/1"
RECORD_SCHEME = "casework-disposal/1"
"""A disposal record signed whole with the checkpoint key (services/records/verify.py)."""


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def public_pem(public_key: Ed25519PublicKey) -> str:
    return public_key.public_bytes(serialization.Encoding.PEM,
                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def signed_text(body: Mapping[str, Any]) -> bytes:
    """The exact bytes signed: the checkpoint's fields as canonical JSON, signature aside."""
    fields = {k: v for k, v in body.items() if k != "signature"}
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


class SigningKey:
    """The checkpoint signing key, read from its file."""

    def __init__(self, private_key: Ed25519PrivateKey) -> None:
        self._private = private_key
        self.public_key = private_key.public_key()
        self.key_id = key_id_of(self.public_key)

    @classmethod
    def load(cls, path: Path) -> "SigningKey":
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key)

    @classmethod
    def create(cls, path: Path) -> "SigningKey":
        """A new key in a file only its owner may read (0600, in a 0700 directory), with
        the public key beside it (`.pub.pem`) for inspectors to take away."""
        private_directory(path.parent)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as file:
            file.write(pem)
        public_path(path).write_text(public_pem(key.public_key()))
        return cls(key)

    @classmethod
    def load_or_create(cls, path: Path) -> "SigningKey":
        return cls.load(path) if path.exists() else cls.create(path)

    def sign(self, body: Mapping[str, Any]) -> str:
        return base64.b64encode(self._private.sign(signed_text(body))).decode()


def public_path(private_path: Path) -> Path:
    return private_path.with_name(private_path.stem + ".pub.pem")


def load_public_keys(pems: Iterable[bytes]) -> dict[str, Ed25519PublicKey]:
    """Public keys by id, from PEM texts (the current key's and any kept after rotation)."""
    keys = {}
    for pem in pems:
        key = serialization.load_pem_public_key(pem)
        if not isinstance(key, Ed25519PublicKey):
            raise ValueError("not an Ed25519 public key")
        keys[key_id_of(key)] = key
    return keys


def signature_problem(body: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]
                      ) -> str | None:
    """Why a checkpoint's signature does not hold, or None when it does."""
    if body.get("scheme") != SCHEME:
        return f"not a casework checkpoint (scheme {body.get('scheme')!r})"
    found = _signature(body, keys)
    if found == "unknown key":
        return (f"checkpoint {body.get('id')} was signed with key {body.get('key_id')}, "
                "which is not among the public keys given")
    if found == "broken":
        return f"checkpoint {body.get('id')}'s signature does not hold (altered or forged)"
    return None


def _signature(body: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]) -> str | None:
    """The one check of a signature over `body`: "unknown key", "broken", or None (holds)."""
    key = keys.get(str(body.get("key_id")))
    if key is None:
        return "unknown key"
    try:
        key.verify(base64.b64decode(str(body.get("signature", ""))), signed_text(body))
    except (InvalidSignature, ValueError):
        return "broken"
    return None


def signed_record(record: Mapping[str, Any], key: SigningKey) -> dict[str, Any]:
    """A record signed whole, so that none of what it says (a council, a date, a reason,
    who confirmed it) can be changed without the signature failing."""
    unsigned = {**record, "scheme": RECORD_SCHEME, "key_id": key.key_id}
    return {**unsigned, "signature": key.sign(unsigned)}


def record_signature_problem(record: Mapping[str, Any], keys: Mapping[str, Ed25519PublicKey]
                             ) -> str | None:
    """Why a record's own signature does not hold, or None when it does."""
    if record.get("scheme") != RECORD_SCHEME or "signature" not in record:
        return ("the record is not signed itself, so what it says of the case (its council, "
                "dates, reason and who confirmed it) cannot be checked")
    found = _signature(record, keys)
    if found == "unknown key":
        return (f"the record was signed with key {record.get('key_id')}, which is not among "
                "the public keys given")
    if found == "broken":
        return ("the record's signature does not hold: what it says of the case was altered "
                "after it was signed (or forged)")
    return None
