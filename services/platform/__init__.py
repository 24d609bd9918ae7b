"""How a process is configured, observed and guarded: settings, logs, metrics, tracing, and
the throttle on guessed credentials."""
