"""Tables downloaded as a CSV or XLSX file (the assessments, the reports)."""

from __future__ import annotations

from flask import Response

from engine.supervision import Table, to_csv, to_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def table_download(tables: list[Table], name: str, extension: str) -> Response:
    """The tables as an attachment called `name`: CSV for "csv", else XLSX."""
    if extension == "csv":
        body, mimetype = to_csv(tables), "text/csv; charset=utf-8"
    else:
        body, mimetype = to_xlsx(tables), XLSX
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
