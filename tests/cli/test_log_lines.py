"""The server's log is stamped in the hotline's zone, as the pages show times (Asia/Shanghai by default),
not in UTC."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

STAMP = re.compile(r"^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),\d{3} ([+-]\d{4}) INFO hotline\.test: hello$")


def _logged_line(zone: str) -> str:
    """One line a command logs, from a fresh interpreter (pytest's own log capture stays out of it)."""
    script = "import logging; from hotline.cli import main; main.callback(); logging.getLogger('hotline.test').info('hello')"
    done = subprocess.run(
        [sys.executable, "-c", script],
        env={**os.environ, "HOTLINE_TIMEZONE": zone},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stderr.strip().splitlines()[-1]


def test_a_log_line_carries_the_hotlines_local_time_and_offset() -> None:
    before = datetime.now(UTC)
    line = _logged_line("Asia/Shanghai")
    found = STAMP.match(line)
    assert found, line
    assert found.group(2) == "+0800"
    stamped = datetime.strptime(found.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=ZoneInfo("Asia/Shanghai"))
    assert before - timedelta(seconds=2) <= stamped <= datetime.now(UTC) + timedelta(seconds=1)


def test_another_zone_is_followed() -> None:
    found = STAMP.match(_logged_line("Europe/London"))
    assert found and found.group(2) in ("+0000", "+0100")
