"""`hotline deploy` of diagrams from other modelers (issue 21): every refused file of the construct
corpus is refused with its problems, one line each and never a traceback; the others deploy, and an
ignored construct is printed as a warning."""

from __future__ import annotations

import pytest

from tests.integration.processes.test_foreign_constructs import CORPUS, EXPECTED, REFUSED

# The command opens its own database engine: it sees only what is really committed.
pytestmark = [pytest.mark.real_commits, pytest.mark.usefixtures("reference_data")]


def test_refused_files_are_listed_with_their_problems_and_no_traceback(cli) -> None:  # noqa: ANN001
    refused = [name for name, (support, _found, _words) in EXPECTED.items() if support is REFUSED]
    # The procedure the refused call activities misspell, or miss a version of.
    assert cli("deploy", str(CORPUS / "runs_user_task.bpmn")).exit_code == 0
    result = cli("deploy", *(str(CORPUS / f"{name}.bpmn") for name in refused))
    assert result.exit_code == 1
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    for name in refused:
        _support, found, words = EXPECTED[name]
        assert f"{name}.bpmn: refused, {len(found)} problem(s)" in result.output
        assert words in result.output
    assert "element 'Step' (line 9): Element" not in result.output  # the schema's words, said plainly


def test_other_files_deploy_and_an_ignored_construct_is_a_warning(cli) -> None:  # noqa: ANN001
    others = [name for name, (support, _found, _words) in EXPECTED.items() if support is not REFUSED]
    result = cli("deploy", *(str(CORPUS / f"{name}.bpmn") for name in others))
    assert result.exit_code == 0, result.output
    for name in others:
        _support, found, words = EXPECTED[name]
        assert f"{name}.bpmn: deployed as {name} v1" in result.output
        if found:  # ignored, or JUEL run as Python: the warning or notice is printed
            assert f"{name}.bpmn: warning: {found[0][1]}" in result.output
            assert words in result.output


def test_a_call_activity_deploys_with_its_procedure_in_one_batch_whatever_the_order(cli) -> None:  # noqa: ANN001
    caller, callee = CORPUS / "runs_call_activity.bpmn", CORPUS / "runs_user_task.bpmn"
    alone = cli("deploy", str(caller))
    assert alone.exit_code == 1
    assert (
        "calls procedure 'runs_user_task', which is not deployed. Deploy 'runs_user_task' first"
        in alone.output
    )
    result = cli("deploy", str(caller), str(callee))
    assert result.exit_code == 0, result.output
    assert result.output.index("runs_user_task.bpmn: deployed as") < result.output.index(
        "runs_call_activity.bpmn: deployed as runs_call_activity v1"
    )
