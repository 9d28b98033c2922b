"""hotline deploy takes DMN decision tables (before the diagrams of the same folder) and hotline
decisions lists them with their versions; a table the engine cannot read is refused with its problems."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import ROUTING_DMN

# The commands open their own database engine: they see only what is really committed.
pytestmark = [pytest.mark.real_commits, pytest.mark.usefixtures("reference_data")]


def test_deploy_a_table_then_list_its_versions(cli, tmp_path: Path) -> None:  # noqa: ANN001
    changed = tmp_path / "routing.dmn"
    changed.write_text(
        ROUTING_DMN.read_text(encoding="utf-8").replace(
            '<outputEntry id="min_leak"><text>30</text>', '<outputEntry id="min_leak"><text>20</text>'
        ),
        encoding="utf-8",
    )
    same = cli("deploy", str(ROUTING_DMN))
    assert same.exit_code == 0 and "unchanged, still decision routing v1" in same.output
    deployed = cli("deploy", "--comment", "leaks within 20 minutes", str(changed))
    assert deployed.exit_code == 0 and "deployed as decision routing v2" in deployed.output
    assert cli("decisions").output.split() == ["routing"]
    versions = cli("decisions", "routing").output.splitlines()
    assert (
        versions[0].startswith("v2")
        and "leaks within 20 minutes" in versions[0]
        and "(runs now)" in versions[0]
    )
    assert cli("decisions", "nothing").exit_code == 1


def test_a_table_the_engine_cannot_read_is_refused(cli, tmp_path: Path) -> None:  # noqa: ANN001
    bad = tmp_path / "bad.dmn"
    bad.write_text(
        ROUTING_DMN.read_text(encoding="utf-8").replace('hitPolicy="FIRST"', 'hitPolicy="COLLECT"')
    )
    refused = cli("deploy", str(bad))
    assert refused.exit_code == 1
    assert (
        "refused, 1 problem(s)" in refused.output
        and "the hit policy COLLECT is not supported" in refused.output
    )


def test_a_refused_table_is_explained_in_the_command_lines_language(
    cli,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    bad = tmp_path / "bad.dmn"
    bad.write_text("<definitions><decision", encoding="utf-8")
    monkeypatch.setenv("HOTLINE_LANGUAGE", "zh_CN")
    refused = cli("deploy", str(bad))
    assert refused.exit_code == 1 and "  文件不是格式正确的 XML：文件在第 1 行就结束了" in refused.output
