"""``tactful eval speed --soak`` is the speed benchmark's soak; with anything else it says so."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from agent.cli import app


@pytest.mark.parametrize("args", [["ranking", "--soak"], ["all", "--soak"]])
def test_soak_with_another_benchmark_is_one_line_and_runs_nothing(args: list[str]) -> None:
    done = CliRunner().invoke(app, ["eval", *args])

    assert done.exit_code == 2
    assert "tactful eval speed --soak" in " ".join(done.output.split())
    assert "Traceback" not in done.output
