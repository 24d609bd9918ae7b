"""The bytes of the documents attached to cases: kept by their SHA-256, on disk or in PostgreSQL."""
