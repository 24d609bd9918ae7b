"""How a process is configured and observed: settings, logs, metrics, tracing."""
