"""Curation and experiments from the command line, as staff would run them."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from agent.cli import app
from agent.embedding import Embedder

Invoke = Callable[..., Result]


@pytest.fixture
def cli(
    demo_home: Path, data_now: datetime, embedder: Embedder, monkeypatch: pytest.MonkeyPatch
) -> Invoke:
    for name in list(os.environ):
        if name.startswith("TACTFUL_"):
            monkeypatch.delenv(name)
    monkeypatch.setattr("agent.facade.load_default_embedder", lambda: embedder)
    env = {"TACTFUL_HOME": str(demo_home), "TACTFUL_NOW": data_now.isoformat()}
    runner = CliRunner()

    def invoke(*args: str) -> Result:
        result = runner.invoke(app, list(args), env=env)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    return invoke


def recommended(cli: Invoke, shopper: str) -> list[dict[str, object]]:
    run = cli("recommend", shopper, "--k", "3", "--json")
    assert run.exit_code == 0, run.stderr
    return json.loads(run.stdout)["suggestions"]  # type: ignore[no-any-return]


@pytest.mark.parametrize("arm", ["curated", "hybrid"])
def test_a_list_made_on_the_command_line_is_served_with_the_staff_reason_and_why_says_so(
    cli: Invoke, demo_shopper: str, arm: str
) -> None:
    made = cli(
        "curate", "create", "Staff picks", "--item", "22728=our bestseller for new parents",
        "--item", "22727", "--item", "22726",
    )  # fmt: skip
    assert made.exit_code == 0, made.stderr
    assert "staff-picks" in made.stdout
    weights = f"ai=0,{arm}=1"
    started = cli("experiments", "create", "picks", "--arms", weights, "--start")
    assert started.exit_code == 0, started.stderr

    shown = recommended(cli, demo_shopper)
    assert {s["item_id"] for s in shown} == {"22728", "22727", "22726"}
    assert all("a person on our team chose it" in str(s["reason"]) for s in shown)

    asked = cli("chat", demo_shopper, "-m", "what would you suggest?", "--json")
    assert asked.exit_code == 0, asked.stderr
    why = cli("chat", demo_shopper, "-m", "why the first one?", "--json")
    assert why.exit_code == 0, why.stderr
    assert "a person on our team chose it" in json.loads(why.stdout)["text"]


def test_the_report_reads_out_an_experiment_and_draws_it(cli: Invoke, tmp_path: Path) -> None:
    assert cli("experiments", "create", "readout", "--start").exit_code == 0
    png = tmp_path / "lifts.png"
    run = cli("experiments", "report", "readout", "--plot", str(png))
    assert run.exit_code == 0, run.stderr
    assert "Verdict: Not enough data yet" in run.stdout
    assert png.read_bytes()[:4] == b"\x89PNG"
    as_json = json.loads(cli("experiments", "report", "readout", "--json").stdout)
    assert as_json["sample_ratio"]["passed"] is True


def test_mistakes_get_one_clear_line(cli: Invoke) -> None:
    unknown = cli("curate", "create", "x", "--item", "no-such-item")
    assert unknown.exit_code == 3 and "no-such-item" in unknown.stderr
    nothing = cli("curate", "create", "x")
    assert nothing.exit_code == 2 and "--item" in nothing.stderr
    bad_arm = cli("experiments", "create", "e", "--arms", "ai=1,robots=1")
    assert bad_arm.exit_code == 2 and "robots" in bad_arm.stderr
    missing = cli("experiments", "report", "nope")
    assert missing.exit_code == 3 and "nope" in missing.stderr
    assert "Traceback" not in unknown.stderr + nothing.stderr + bad_arm.stderr + missing.stderr
