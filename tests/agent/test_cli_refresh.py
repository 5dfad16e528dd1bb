"""``tactful refresh``: a new version of the shop-wide snapshot per run, the two newest kept,
and one clear line when it cannot be saved."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TACTFUL = Path(sys.executable).with_name("tactful")


def run(home: Path, now: datetime, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(TACTFUL), "refresh", "--home", str(home), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "TACTFUL_NOW": now.isoformat(), **env},
        timeout=300,
        check=False,
    )


def test_each_refresh_saves_a_new_version_and_keeps_the_one_before(
    demo_home: Path, data_now: datetime
) -> None:
    first = run(demo_home, data_now, "--json")
    second = run(demo_home, data_now)

    assert first.returncode == 0, first.stderr
    assert second.returncode == 0, second.stderr
    saved = json.loads(first.stdout)
    assert saved["folder"] == str(demo_home / "snapshot")
    assert saved["events"] > 0 and saved["shoppers"] > 0 and saved["items"] > 0
    assert second.stdout.startswith(f"Saved snapshot version {saved['version'] + 1} in ")
    assert len(second.stdout.strip().splitlines()) == 1
    assert len(list((demo_home / "snapshot").glob("interactions-*"))) == 2


def test_a_refresh_goes_to_the_configured_folder(
    demo_home: Path, data_now: datetime, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"

    done = run(demo_home, data_now, "--json", TACTFUL_SNAPSHOT__FOLDER=str(shared))

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["folder"] == str(shared)
    assert (shared / "interactions.json").is_file()


def test_a_folder_that_cannot_be_written_is_one_line_before_any_build(
    demo_home: Path, data_now: datetime, tmp_path: Path
) -> None:
    in_the_way = tmp_path / "snapshots"
    in_the_way.write_text("a file where the folder should be")

    done = run(demo_home, data_now, TACTFUL_SNAPSHOT__FOLDER=str(in_the_way))

    assert done.returncode == 5
    assert "Traceback" not in done.stderr
    assert f"Cannot save the snapshot in {in_the_way}" in " ".join(done.stderr.split())
    assert done.stdout == ""


def test_an_unknown_refresh_mode_is_a_bad_setting(demo_home: Path, data_now: datetime) -> None:
    done = run(demo_home, data_now, TACTFUL_SNAPSHOT__REFRESH="sometimes")

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert "TACTFUL_" in done.stderr
