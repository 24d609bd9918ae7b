"""Which keys signed a store's checkpoints, and whether this host can verify them.

A store restored on a new host carries checkpoints signed by the old host's key.
Without that key's public half every case with a checkpoint fails verification,
and a fresh signing key made by `make run` cannot mend that: it only adds a
second key nobody can reconcile with the first. So a backup records the key ids
and public keys of its checkpoints, restore refuses to finish while one is
missing, and `deploy.run` refuses to make a new key for a store signed by
another one unless the operator says so (CASEWORK_CHECKPOINT_NEW_KEY=yes).
"""

import sqlite3
from collections.abc import Iterable
from pathlib import Path

import psycopg
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from psycopg import sql

from services.audit.signing import SigningKey, load_public_keys, public_pem
from services.platform.settings import Settings


def key_file(settings: Settings) -> Path:
    """The signing key's file: CASEWORK_CHECKPOINT_KEY_FILE, or `keys/` beside the data."""
    return settings.checkpoint_key_file or (
        settings.data_dir.resolve().parent / "keys" / "checkpoint-ed25519.pem")


def store_key_ids(settings: Settings) -> list[str]:
    """The ids of the keys that signed the store's checkpoints (none on a new store).

    Creates nothing: a missing database or table means no checkpoints.
    """
    if settings.store == "sqlite":
        return sqlite_key_ids(settings.sqlite_path)
    schema = settings.postgres_schema or "public"
    with psycopg.connect(settings.postgres_url, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                              "AND table_name = 'checkpoints'", (schema,)).fetchone()
        if not exists:
            return []
        rows = conn.execute(sql.SQL("SELECT DISTINCT key_id FROM {}.checkpoints").format(
            sql.Identifier(schema))).fetchall()
    return sorted(str(row[0]) for row in rows)


def sqlite_key_ids(path: Path) -> list[str]:
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=30)  # never creates
    try:
        if not conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                            "AND name = 'checkpoints'").fetchone():
            return []
        return sorted(str(r[0]) for r in conn.execute("SELECT DISTINCT key_id FROM checkpoints"))
    finally:
        conn.close()


def known_public_keys(settings: Settings, extra: Iterable[Path] = ()
                      ) -> dict[str, Ed25519PublicKey]:
    """The public keys this host has: the signing key's own, those
    CASEWORK_CHECKPOINT_PUBLIC_KEYS names, and `extra` (files that do not exist are
    not keys this host has)."""
    path = key_file(settings)
    texts = []
    if path.exists():
        texts.append(public_pem(SigningKey.load(path).public_key).encode())
    named = [Path(p.strip()) for p in settings.checkpoint_public_keys.split(",") if p.strip()]
    texts += [p.read_bytes() for p in (*named, *extra) if p.exists()]
    return load_public_keys(texts)


def how_to_supply(missing: Iterable[str], settings: Settings) -> str:
    """What an operator does when the public key of a checkpoint key is not on this host."""
    ids = ", ".join(sorted(missing))
    return (f"the checkpoints were signed with key {ids}, whose public key this host does "
            f"not have. Put the original private key file at {key_file(settings)} "
            "(or set CASEWORK_CHECKPOINT_KEY_FILE to it); or, if it is lost, take the public "
            "key from the copy inspectors hold (or the backup's checkpoint-keys/ folder, "
            "after checking its id) and name it in CASEWORK_CHECKPOINT_PUBLIC_KEYS "
            "(restore also takes --public-key FILE)")
