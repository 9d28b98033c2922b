"""Web processes starting together on a fresh home all compile the catalogs: none may fail because
another renamed a file it was writing (gunicorn's workers boot at the same moment)."""

from __future__ import annotations

import threading
from pathlib import Path

from babel.messages.mofile import read_mo

from webforms.i18n import compile_catalogs


def test_processes_compiling_the_catalogs_at_once_all_succeed(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    for attempt in range(5):
        target = tmp_path / f"home{attempt}"
        start = threading.Barrier(8)

        def compile_now(target: Path = target, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                compile_catalogs(target)
            except BaseException as err:  # noqa: BLE001 - what the test counts
                errors.append(err)

        threads = [threading.Thread(target=compile_now) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        catalogs = sorted(target.glob("*/LC_MESSAGES/*"))
        assert [c.name for c in catalogs] == ["messages.mo", "messages.mo"], "no file left half-way"
        with (target / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
            assert len(read_mo(mo)) > 100, "the Chinese catalog was written whole"
    assert errors == []
