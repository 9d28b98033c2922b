"""`hotline deploy` of the files from other modelers and from nowhere (tests/fixtures/foreign): what runs
deploys, with another tool's settings printed as warnings; what cannot is refused with one line per
problem, never a traceback, whatever the file holds (UTF-16, a ZIP, an HTML page, a billion laughs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import COMPLAINT_BPMN, edited, set_text
from tests.integration.processes.test_foreign_files import EXPECTED, FOREIGN, REFUSED, RUNS

pytestmark = [pytest.mark.real_commits, pytest.mark.usefixtures("reference_data")]


def test_every_foreign_file_deploys_or_is_refused_with_its_problems_and_no_traceback(cli) -> None:  # noqa: ANN001
    result = cli("deploy", *(str(FOREIGN / f"{name}.bpmn") for name in [*RUNS, *REFUSED]))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for name in RUNS:
        assert f"{name}.bpmn: deployed as {name} v1" in result.output
        _problems, warnings, words = EXPECTED[name]
        if warnings:
            assert f"{name}.bpmn: warning: {warnings[0][1]}" in result.output and words in result.output
    for name in REFUSED:
        problems, _warnings, words = EXPECTED[name]
        assert f"{name}.bpmn: refused, {len(problems)} problem(s)" in result.output
        assert words in result.output
    # The parser's own English never stands in for a message of ours.
    for parser_words in ("XML_PARSE_HUGE", "Namespace prefix", "not defined", "Element '", "facet"):
        assert parser_words not in result.output


def test_the_problems_are_said_in_the_command_lines_language(cli, monkeypatch: pytest.MonkeyPatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("HOTLINE_LANGUAGE", "zh_CN")
    names = ("refused_too_deep", "refused_zeebe_feel", "runs_signavio_export")
    result = cli("deploy", *(str(FOREIGN / f"{name}.bpmn") for name in names))
    assert result.exit_code == 1
    assert "文件不是格式正确的 XML：第 7 行处元素嵌套超过 256 层" in result.output
    assert "  Flow_a (多): 连线“多”的条件 =x > 1 是 FEEL（Camunda 8 即 Zeebe 的表达式语言）" in result.output
    assert '  Svc (通知): “通知”是服务任务（zeebe:taskDefinition type="notify"）' in result.output
    assert (
        "runs_signavio_export.bpmn: warning: sid-1B2C3D4E-5F6A-7B8C-9D0E-1F2A3B4C5D6E (处理): “处理”带有其他工具的设置"
        in (result.output)
    )


def test_the_sandboxs_reason_is_said_in_the_command_lines_language(
    cli,  # noqa: ANN001
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("HOTLINE_LANGUAGE", "zh_CN")
    script = "//bpmn:scriptTask[@id='record_dispatch_overdue']/bpmn:script"
    path = tmp_path / "complaint.bpmn"
    path.write_bytes(edited(COMPLAINT_BPMN, set_text(script, "overdue = 1\nimport os")))
    result = cli("deploy", str(path))
    assert result.exit_code == 1
    assert (
        "  record_dispatch_overdue (记录派单超时): “记录派单超时”的脚本不被允许：不允许导入模块（第 2 行）。"
        in (result.output)
    )
    assert "imports are not allowed" not in result.output and "line 2" not in result.output
