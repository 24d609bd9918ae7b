"""The event store every application shares: the chained store, its recorders and side tables."""
