"""The HTTP interface: parse, call one service, map domain errors to HTTP."""
