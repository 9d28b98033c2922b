"""Readable log lines (the default; hotline.logs writes JSON when asked) stamped in the hotline's time
zone (HOTLINE_TIMEZONE), as the pages show times, with the offset written out so a line read next to
another zone's logs is not misread."""

from __future__ import annotations

import logging
import os
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.clock import DEFAULT_TIME_ZONE

LINE = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ZonedFormatter(logging.Formatter):
    def __init__(self, zone: ZoneInfo, fmt: str = LINE) -> None:
        super().__init__(fmt)
        self.zone = zone

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802 - logging's name
        moment = datetime.fromtimestamp(record.created, self.zone)
        if datefmt:
            return moment.strftime(datefmt)
        return f"{moment:%Y-%m-%d %H:%M:%S},{int(record.msecs):03d} {moment:%z}"


def hotline_zone() -> ZoneInfo:
    """The configured zone; a name the system does not know leaves the stamps in UTC (the settings
    refuse such a name when a command starts its services)."""
    try:
        return ZoneInfo(os.environ.get("HOTLINE_TIMEZONE", DEFAULT_TIME_ZONE))
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")
