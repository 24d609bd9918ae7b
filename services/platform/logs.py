"""Structured logs: one JSON object a line, for people and log pipelines alike.

Every line carries the time, level, logger and message, and, when known, the
request id, the case id and the actor, taken from context variables that the
API sets per request. A line never carries a request body, a token or a
withheld source: nothing logs them, and the formatter writes only the message
and the fields named here (plus a traceback for errors).
"""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
case_id: ContextVar[str | None] = ContextVar("case_id", default=None)
actor: ContextVar[str | None] = ContextVar("actor", default=None)

_CONTEXT = (("request_id", request_id), ("case_id", case_id), ("actor", actor))
# Extra fields a caller may pass with `extra=`: small facts, never content.
_EXTRA = ("method", "path", "route", "status", "duration_ms", "part", "pid", "exit_code",
          "workflow_id", "activity", "attempt")


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, the request's context, and named extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, var in _CONTEXT:
            value = getattr(record, name, None) or var.get()
            if value:
                entry[name] = value
        for name in _EXTRA:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr for this process, uvicorn's own loggers included.

    uvicorn's access log is turned off: `casework.access` says the same and more.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
