"""``tactful keys create|list|revoke``: the secret is shown once and stored only hashed."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from agent.cli import app
from agent.stores.keys import KeyStore, hash_secret


def test_keys_are_created_listed_and_revoked_and_stored_hashed(tmp_path: Path) -> None:
    runner = CliRunner()
    home = ["--home", str(tmp_path)]
    created = runner.invoke(app, ["keys", "create", "--kind", "staff", "--name", "Priya", *home])
    assert created.exit_code == 0, created.output
    secret = created.stdout.strip().splitlines()[-1]
    assert secret.startswith("tfk_staff_")

    rows = sqlite3.connect(tmp_path / "tactful.db").execute("SELECT * FROM api_keys").fetchall()
    assert secret not in repr(rows) and hash_secret(secret) in repr(rows)

    listed = json.loads(runner.invoke(app, ["keys", "list", "--json", *home]).stdout)
    assert [(k["kind"], k["name"], k["revoked_at"]) for k in listed] == [("staff", "Priya", None)]

    revoked = runner.invoke(app, ["keys", "revoke", listed[0]["key_id"], *home])
    assert revoked.exit_code == 0, revoked.output
    store = KeyStore(f"sqlite:///{tmp_path / 'tactful.db'}")
    assert store.find(secret) is None
    store.close()


def test_a_bad_kind_or_unknown_key_is_a_clean_error(tmp_path: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(app, ["keys", "create", "--kind", "admin", "--home", str(tmp_path)])
    assert bad.exit_code == 2 and "shop or staff" in bad.output
    unknown = runner.invoke(app, ["keys", "revoke", "nope", "--home", str(tmp_path)])
    assert unknown.exit_code == 2 and "Traceback" not in unknown.output
