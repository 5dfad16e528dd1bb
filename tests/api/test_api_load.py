"""The load script at a small scale: correctness only (no timing is asserted)."""

from __future__ import annotations

import json
from pathlib import Path

from bench.api.load import main


def test_concurrent_clients_lose_and_double_no_events(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    code = main(["--clients", "1,4", "--rounds", "2", "--items", "120", "--out", str(out)])
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["errors"] == []
    assert result["events"]["acknowledged"] == (1 + 4) * 2 * 2
    assert result["events"]["missing"] == result["events"]["doubled"] == 0
    assert result["events"]["resent_stored"] == 0
    assert code == 0 and result["ok"]
