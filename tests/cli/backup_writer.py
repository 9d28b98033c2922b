"""A process that keeps writing while a backup is made: each round records a complaint and attaches a
photo to its first task, in the home folder the environment names, until the stop file appears.

    python -m tests.cli.backup_writer STOP_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from sqlalchemy import select

from engine.db import HumanTask
from engine.work import attach_file, record_call
from hotline.bootstrap import bootstrap
from tests.helpers import OPERATOR, intake_form

PNG = b"\x89PNG\r\n\x1a\n"


def main(stop: Path) -> None:
    services = bootstrap()
    round_number = 0
    while not stop.exists():
        round_number += 1
        with services.unit_of_work() as uow:
            case = record_call(uow, "complaint", OPERATOR, intake_form()).instance
            task_id = uow.session.scalars(
                select(HumanTask.id).where(HumanTask.instance_id == case.id).order_by(HumanTask.id)
            ).first()
            assert task_id is not None
            attach_file(uow, task_id, f"photo-{round_number}.png", PNG + f"{case.id}".encode() * 500, "op1")
            uow.commit()
        time.sleep(0.01)
    services.close()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
