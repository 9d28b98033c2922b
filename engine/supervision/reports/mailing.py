"""M2/M3: a report, once made, is mailed to its recipients — the weekly report to the leaders and
department heads, the monthly 12345 summary to the platform's staff — with its XLSX attached and its
summary in the body, each in its recipient's language. Queued in the transaction that made the report, so once per period whatever the
number of workers (one report per period: the unique constraint), and sent, retried and shown on the
incidents page by the outbox like every message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.db import Report
from engine.messaging import Composed, NewMessage, Wording, compose_kind, queue_messages, wordings
from engine.runtime import DEFAULT_LANGUAGE, Runtime
from engine.supervision.reports.export import Table, report_tables, to_xlsx
from engine.supervision.reports.store import covered_span

SUMMARY_ROWS = 8  # lines of the report's key figures in the body


def _summary(tables: list[Table]) -> str:
    lines = [f"{row[0]}: {row[1]}" for row in tables[0].rows if len(row) >= 2]
    for table in tables[1:2]:
        lines.append("")
        lines.append(table.title)
        lines += [" · ".join(str(v) for v in row if v not in (None, "")) for row in table.rows[:SUMMARY_ROWS]]
    return "\n".join(lines)


def report_file(folder: Path, report: Report, language: str = DEFAULT_LANGUAGE) -> Path:
    """Where the mailed XLSX is kept: beside the attached files, not among them (their sweep skips it);
    one file per language the report is mailed in."""
    suffix = "" if language == DEFAULT_LANGUAGE else f"-{language}"
    return (
        folder / "reports" / f"hotline-{report.kind}-{report.period_start}_{report.period_end}{suffix}.xlsx"
    )


def covered_text(report: Report, zone: ZoneInfo) -> str:
    """'2026-11-26 00:00 – 2026-12-25 16:00': the receipt times the report's figures cover."""
    start, end = covered_span(report, zone)
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


def queue_report_mail(
    session: Session,
    engine: Runtime,
    report: Report,
    recipients: Sequence[tuple[str, str]],
    now: datetime,
) -> int:
    """One e-mail per address (`recipients`: address and language), each in its recipient's language
    with the XLSX in that language attached where the runtime has a folder for files. Returns how many
    were queued."""
    if not recipients:
        return 0
    kind = f"{report.kind}_report"
    words_in = wordings(session, kind)
    composed: dict[str, tuple[Composed, str]] = {}
    messages = []
    for address, language in dict(recipients).items():
        if language not in composed:
            composed[language] = _compose(engine, report, kind, language, words_in.get(language))
        words, attachment = composed[language]
        messages.append(
            NewMessage(
                channel="email",
                recipient=address,
                kind=kind,
                text=words.text,
                subject=words.subject,
                language=language,
                attachment=attachment,
                idempotency_key=f"report:{report.kind}:{report.period_start}:{address}"[:120],
            )
        )
    return queue_messages(session, messages, now)


def _compose(
    engine: Runtime, report: Report, kind: str, language: str, wording: Wording | None
) -> tuple[Composed, str]:
    translate = engine.messaging.translate(language)
    tables = report_tables(
        report.kind,
        report.content,
        report.notable_cases,
        "en" if language == "en" else "zh",
        report.generated_at,
        zone=engine.zone,
        translate=translate,
    )
    attachment = ""
    if engine.attachment_folder is not None:
        path = report_file(engine.attachment_folder, report, language)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(to_xlsx(tables))
        attachment = str(path)
    words = compose_kind(
        kind,
        {
            "period": f"{report.period_start} – {report.period_end}",
            "covered": covered_text(report, engine.zone),
            "summary": _summary(tables),
        },
        translate,
        wording,
    )
    return words, attachment
