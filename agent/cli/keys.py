"""``tactful keys create|list|revoke``: API keys for the shop's backend and its staff."""

from __future__ import annotations

from typing import Annotated

import typer

from agent.cli.home import HomeOption, JsonOption, settings_for
from agent.cli.render import err, out, print_json, safe, show
from agent.errors import InvalidInput
from agent.stores.keys import KeyKind, KeyStore

keys_app = typer.Typer(help="API keys for `tactful serve` (stored hashed; shown once).")


def _store(home: HomeOption) -> KeyStore:
    settings = settings_for(home)
    settings.home.mkdir(parents=True, exist_ok=True)
    return KeyStore(settings.sql_url)


@keys_app.command("create")
def create(
    kind: Annotated[str, typer.Option(help="shop (the shop's backend) or staff (support).")],
    name: Annotated[str | None, typer.Option(help="Who holds it, e.g. 'web backend'.")] = None,
    home: HomeOption = None,
) -> None:
    """Make a key and print its secret: it is shown this once and stored only hashed."""
    try:
        key_kind = KeyKind(kind.strip().lower())
    except ValueError:
        raise InvalidInput(f"Unknown kind {kind!r}; choose shop or staff.") from None
    store = _store(home)
    try:
        new = store.create(key_kind, name)
    finally:
        store.close()
    err.print(
        f"Created {new.key.kind.value} key {new.key.key_id} ({safe(new.key.name)}). "
        "Copy the secret now; it cannot be shown again:"
    )
    out.print(new.secret, markup=False, highlight=False)


@keys_app.command("list")
def list_keys(as_json: JsonOption = False, home: HomeOption = None) -> None:
    """Every key with its kind, name and whether it is revoked (never the secrets)."""
    store = _store(home)
    try:
        keys = store.list()
    finally:
        store.close()
    if as_json:
        print_json([k.model_dump(mode="json") for k in keys])
        return
    for key in keys:
        state = f"revoked {key.revoked_at:%Y-%m-%d}" if key.revoked_at else "active"
        show(f"{key.key_id}  {key.kind.value:<5}  {state:<18}  {safe(key.name)}")


@keys_app.command("revoke")
def revoke(
    key_id: Annotated[str, typer.Argument(help="The key's id (see `tactful keys list`).")],
    home: HomeOption = None,
) -> None:
    """Stop a key working from its next request on."""
    store = _store(home)
    try:
        key = store.revoke(key_id.strip())
    finally:
        store.close()
    err.print(f"Revoked {key.kind.value} key {key.key_id} ({safe(key.name)}).")
