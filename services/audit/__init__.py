"""What an inspector relies on: exports checkable offline, Merkle proofs, signed checkpoints,
and the access log of who has seen what."""
