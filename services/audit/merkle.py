"""A Merkle tree over every stream's head, and proofs that one head is in it.

Standard library only: an inspector checks a proof with nothing else. Leaves
are the streams' heads sorted by stream id; a level with an odd node carries it
up unchanged. Leaves and inner nodes are hashed with different prefixes, so a
leaf can never pass for a node.
"""

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

EMPTY_ROOT = hashlib.sha256(b"casework-merkle-empty").hexdigest()


@dataclass(frozen=True, order=True)
class Head:
    """The last event of one stream: its version and link hash."""

    originator_id: str
    version: int
    hash: str

    def leaf(self) -> str:
        return leaf_hash(self.originator_id, self.version, self.hash)


def leaf_hash(originator_id: str, version: int, head: str) -> str:
    return hashlib.sha256(f"leaf|{originator_id}|{version}|{head}".encode()).hexdigest()


def node_hash(left: str, right: str) -> str:
    return hashlib.sha256(f"node|{left}|{right}".encode()).hexdigest()


def _levels(leaves: Sequence[str]) -> list[list[str]]:
    levels = [list(leaves)]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([node_hash(below[i], below[i + 1]) if i + 1 < len(below) else below[i]
                       for i in range(0, len(below), 2)])
    return levels


def merkle_root(leaves: Sequence[str]) -> str:
    return _levels(leaves)[-1][0] if leaves else EMPTY_ROOT


def inclusion_proof(leaves: Sequence[str], index: int) -> list[list[str]]:
    """The siblings from the leaf up: each ["left"|"right", hash] (where the sibling sits)."""
    proof = []
    for level in _levels(leaves)[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            proof.append(["left" if sibling < index else "right", level[sibling]])
        index //= 2
    return proof


def root_from_proof(leaf: str, proof: Sequence[Sequence[str]]) -> str:
    node = leaf
    for side, sibling in proof:
        if side == "left":
            node = node_hash(sibling, node)
        elif side == "right":
            node = node_hash(node, sibling)
        else:
            raise ValueError(f"a proof step must be left or right, not {side!r}")
    return node
