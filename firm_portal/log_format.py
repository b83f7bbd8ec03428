"""How log records are written: one JSON object per line in production (for
the log collector), readable text in development. Both go through the
personal-data redaction (firm_portal/log_redaction.py) first.

No Django here: gunicorn's master process uses the same configuration
(firm_portal/gunicorn_conf.py) before any app is loaded.
"""

import json
import logging
from datetime import UTC, datetime
from typing import Any


class JsonFormatter(logging.Formatter):
    """time, level, logger, message, request_id, user_id (and the traceback
    as `exception`). Nothing else from the record: extra fields could carry
    what the redaction never saw."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or None,
            "user_id": getattr(record, "user_id", None),
        }
        # The redaction filter has already turned a traceback into exc_text.
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def logging_config(*, json_lines: bool, level: str) -> dict[str, Any]:
    """The dictConfig for settings.LOGGING, Celery's processes and gunicorn."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            # Order matters: the context first, then the redaction of the message.
            "context": {"()": "firm_portal.request_context.RequestContextFilter"},
            # No personal data in logs: emails, personnummer and phone numbers
            # are replaced in every record (firm_portal/log_redaction.py).
            "personal_data": {"()": "firm_portal.log_redaction.RedactPersonalData"},
        },
        "formatters": {
            "json": {"()": "firm_portal.log_format.JsonFormatter"},
            "text": {"format": TEXT_FORMAT},
        },
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context", "personal_data"],
                "formatter": "json" if json_lines else "text",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            # gunicorn's own lines go through the same handler, not theirs;
            # its access log is off: the app logs each request with its id.
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": False},
        },
    }
