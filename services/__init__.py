"""Use cases over the case event store, and the ports the outer layers share."""
