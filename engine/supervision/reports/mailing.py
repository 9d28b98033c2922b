"""M2/M3: a report, once made, is mailed to its recipients — the weekly report to the leaders and
department heads, the monthly 12345 summary to the platform's staff — with its XLSX attached and its
summary in the body. Queued in the transaction that made the report, so once per period whatever the
number of workers (one report per period: the unique constraint), and sent, retried and shown on the
incidents page by the outbox like every message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from engine.db import Report
from engine.messaging import NewMessage, compose_kind, queue_messages, wordings
from engine.runtime import DEFAULT_LANGUAGE, Runtime
from engine.supervision.reports.export import Table, report_tables, to_xlsx

SUMMARY_ROWS = 8  # lines of the report's key figures in the body


def _summary(tables: list[Table]) -> str:
    lines = [f"{row[0]}: {row[1]}" for row in tables[0].rows if len(row) >= 2]
    for table in tables[1:2]:
        lines.append("")
        lines.append(table.title)
        lines += [" · ".join(str(v) for v in row if v not in (None, "")) for row in table.rows[:SUMMARY_ROWS]]
    return "\n".join(lines)


def report_file(folder: Path, report: Report) -> Path:
    """Where the mailed XLSX is kept: beside the attached files, not among them (their sweep skips it)."""
    return folder / "reports" / f"hotline-{report.kind}-{report.period_start}_{report.period_end}.xlsx"


def queue_report_mail(
    session: Session, engine: Runtime, report: Report, recipients: Sequence[str], now: datetime
) -> int:
    """One e-mail per address, in Chinese (staff), with the XLSX attached where the runtime has a folder
    for files. Returns how many were queued."""
    if not recipients:
        return 0
    translate = engine.messaging.translate(DEFAULT_LANGUAGE)
    tables = report_tables(
        report.kind,
        report.content,
        report.notable_cases,
        "zh",
        report.generated_at,
        zone=engine.zone,
        translate=translate,
    )
    attachment = ""
    if engine.attachment_folder is not None:
        path = report_file(engine.attachment_folder, report)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(to_xlsx(tables))
        attachment = str(path)
    kind = f"{report.kind}_report"
    words = compose_kind(
        kind,
        {"period": f"{report.period_start} – {report.period_end}", "summary": _summary(tables)},
        translate,
        wordings(session, kind).get(DEFAULT_LANGUAGE),
    )
    return queue_messages(
        session,
        [
            NewMessage(
                channel="email",
                recipient=address,
                kind=kind,
                text=words.text,
                subject=words.subject,
                attachment=attachment,
                idempotency_key=f"report:{report.kind}:{report.period_start}:{address}"[:120],
            )
            for address in dict.fromkeys(recipients)
        ],
        now,
    )
