"""Logs as one JSON object per line, for a log collector: the time in UTC (ISO 8601, its offset written
out), level, logger, message, and — when written during a web request — the request id, the signed-in
user and the case number (webforms.request_log). Chosen with HOTLINE_LOG_FORMAT=json (the shipped
gunicorn configuration always uses it).

    {"at": "2026-12-07T08:40:00.123+00:00", "level": "INFO", "logger": "hotline.requests",
     "message": "GET cases.show /cases/HL-2026-000123 200 12.3 ms", "request_id": "5f0c…",
     "user": "op1", "case": "HL-2026-000123"}
"""

from __future__ import annotations

import json
import logging
import os
from datetime import UTC, datetime

from hotline.log_lines import ZonedFormatter, hotline_zone

_CONTEXT = ("request_id", "user", "case")


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in _CONTEXT:
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(level: int = logging.INFO) -> None:
    """The command line's logging: JSON lines with HOTLINE_LOG_FORMAT=json, else readable text."""
    if os.environ.get("HOTLINE_LOG_FORMAT", "").strip().lower() == "json":
        handler = logging.StreamHandler()
        handler.setFormatter(JsonLines())
        logging.basicConfig(level=level, handlers=[handler], force=True)
    else:
        handler = logging.StreamHandler()
        handler.setFormatter(ZonedFormatter(hotline_zone()))
        logging.basicConfig(level=level, handlers=[handler])
