"""The case use cases: one handler per command, idempotency, and the case's workflow."""
