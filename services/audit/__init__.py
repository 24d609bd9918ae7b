"""What an inspector relies on: exports checkable offline, Merkle proofs, signed checkpoints."""
