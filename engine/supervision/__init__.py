"""Supervision: the overdue board, KPIs, callback sampling, the shift handover, reports.

The package's public face: other packages import from here, not from its modules."""

from __future__ import annotations

from engine.supervision.assessment_weights import DEFAULT_WEIGHTS, current_weights, set_weights
from engine.supervision.board import board_group_names, overdue_board
from engine.supervision.case_search import (
    SORTS,
    STATUSES,
    CaseQuery,
    count_cases_matching,
    overdue_case_ids,
    search_cases,
)
from engine.supervision.department_assessment import (
    FIGURES,
    LOWER_IS_BETTER,
    DepartmentAssessment,
    department_assessment,
    list_size,
)
from engine.supervision.duties import (
    check_recorded_samples,
    draw_sample,
    make_report,
    prepare_handover_record,
    run_due_duties,
    sweep_attachment_files,
)
from engine.supervision.handover import (
    HandoverNotAllowed,
    ShiftSettings,
    get_record,
    in_flood_season,
    recent_records,
)
from engine.supervision.health import (
    WORKER_SILENCE,
    Health,
    check_health,
    record_worker_heartbeat,
    worker_check,
)
from engine.supervision.hot_spots import BuildingSpot, HotSpots, hot_spots
from engine.supervision.kpi import KPI_NAMES, kpi_table
from engine.supervision.liaison_assessment import LIAISON_FIGURES, LiaisonAssessment, liaison_assessment
from engine.supervision.live_picture import open_cases_of, overdue_tasks
from engine.supervision.on_the_spot import OnTheSpotTable, on_the_spot_table
from engine.supervision.operating_figures import OperatingFigures, operating_figures
from engine.supervision.periods import Period, local_date, month_period_ending_in, month_period_of
from engine.supervision.reports.export import Table, report_tables, to_csv, to_xlsx
from engine.supervision.reports.recipients import (
    REPORT_KINDS,
    add_report_recipient,
    remove_report_recipient,
    report_recipients,
)
from engine.supervision.reports.store import (
    MAX_NOTABLE,
    covered_span,
    find_report,
    get_report,
    latest_due_period,
    list_reports,
    next_due,
    period_of_report,
    set_notable_cases,
)
from engine.supervision.sampled_outcomes import SampledSummary, period_sampled_summary
from engine.supervision.sampling import SAMPLE_RATE, latest_due_week, list_samples, verify_draw
from engine.supervision.satisfaction_survey import draw_quarterly_survey, quarter_of
from engine.supervision.sendbacks import SendBackTable, sendback_table
from engine.supervision.shifts import DEFAULT_SHIFT_CHANGES, parse_shift_changes
from engine.supervision.use_cases import (
    acknowledge_handover,
    choose_notable_cases,
    hand_over_shift,
    retry_incident,
)

__all__ = [
    "month_period_ending_in",
    "LIAISON_FIGURES",
    "LiaisonAssessment",
    "liaison_assessment",
    "REPORT_KINDS",
    "add_report_recipient",
    "remove_report_recipient",
    "report_recipients",
    "draw_quarterly_survey",
    "quarter_of",
    "HotSpots",
    "hot_spots",
    "BuildingSpot",
    "OnTheSpotTable",
    "on_the_spot_table",
    "DEFAULT_WEIGHTS",
    "FIGURES",
    "LOWER_IS_BETTER",
    "DepartmentAssessment",
    "current_weights",
    "department_assessment",
    "list_size",
    "set_weights",
    "period_sampled_summary",
    "OperatingFigures",
    "operating_figures",
    "Health",
    "WORKER_SILENCE",
    "check_health",
    "record_worker_heartbeat",
    "worker_check",
    "CaseQuery",
    "DEFAULT_SHIFT_CHANGES",
    "HandoverNotAllowed",
    "KPI_NAMES",
    "MAX_NOTABLE",
    "Period",
    "SAMPLE_RATE",
    "SampledSummary",
    "SendBackTable",
    "SORTS",
    "STATUSES",
    "ShiftSettings",
    "acknowledge_handover",
    "board_group_names",
    "check_recorded_samples",
    "choose_notable_cases",
    "count_cases_matching",
    "draw_sample",
    "find_report",
    "get_record",
    "get_report",
    "hand_over_shift",
    "in_flood_season",
    "kpi_table",
    "covered_span",
    "latest_due_period",
    "latest_due_week",
    "list_reports",
    "list_samples",
    "local_date",
    "make_report",
    "month_period_of",
    "next_due",
    "open_cases_of",
    "overdue_board",
    "overdue_case_ids",
    "overdue_tasks",
    "parse_shift_changes",
    "period_of_report",
    "prepare_handover_record",
    "recent_records",
    "report_tables",
    "retry_incident",
    "run_due_duties",
    "search_cases",
    "sendback_table",
    "set_notable_cases",
    "sweep_attachment_files",
    "Table",
    "to_csv",
    "to_xlsx",
    "verify_draw",
]
